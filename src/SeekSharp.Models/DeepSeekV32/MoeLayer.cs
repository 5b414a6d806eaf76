using SeekSharp.IO.Config;
using SeekSharp.Core.Numerics;
using SeekSharp.Models.DeepSeekV32.Ops;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// DeepSeek MoE: sigmoid router with a selection-only correction bias, group-limited top-k
/// (group score = sum of its top-2 biased scores), weights = unbiased sigmoid of the picked experts,
/// renormalised, × routed_scaling_factor; routed experts summed in fp32 in ascending id, shared expert added last.
/// </summary>
public sealed class MoeLayer
{
    private readonly int _experts, _groups, _topkGroups, _perToken, _moeIndex;
    private readonly float _routeScale;
    private readonly bool _normalize;

    public MoeLayer(DeepSeekConfig config, int moeIndex)
    {
        _experts = config.NRoutedExperts;
        _groups = config.NGroup;
        _topkGroups = config.TopkGroup;
        _perToken = config.NumExpertsPerTok;
        _routeScale = (float)config.RoutedScalingFactor;
        _normalize = config.NormTopkProb;
        _moeIndex = moeIndex;
    }

    /// <param name="x">[tokens, hidden] ffn-normed input.</param>
    /// <param name="output">[tokens, hidden] bf16 values.</param>
    public void Forward(ForwardContext ctx, MoeWeights w, ReadOnlySpan<float> x, Span<float> output)
    {
        var t = ctx.Tokens;
        var hidden = w.Router.In;
        var logits = new float[t * _experts];                // [t, experts] fp32
        ctx.LinearFp32(w.Router, x, t, logits);

        var picked = new int[t * _perToken];                 // [t, k] expert ids
        var weights = new float[t * _perToken];              // [t, k] fp32
        for (var i = 0; i < t; i++)
            Route(ctx, w, logits.AsSpan(i * _experts, _experts), ctx.StartPos + i,
                picked.AsSpan(i * _perToken, _perToken), weights.AsSpan(i * _perToken, _perToken));

        var sum = new float[t * hidden];                     // [t, hidden] fp32 accumulator
        for (var e = 0; e < _experts; e++)
        {
            // tokens routed to e, in token order
            var rows = new List<(int Token, float Weight)>();
            for (var i = 0; i < t; i++)
                for (var j = 0; j < _perToken; j++)
                    if (picked[i * _perToken + j] == e) rows.Add((i, weights[i * _perToken + j]));
            if (rows.Count == 0) continue;

            var xs = new float[rows.Count * hidden];
            for (var r = 0; r < rows.Count; r++) x.Slice(rows[r].Token * hidden, hidden).CopyTo(xs.AsSpan(r * hidden));
            var ys = new float[rows.Count * hidden];
            SwiGluMlp.Forward(ctx, w.Experts[e], xs, rows.Count, ys);
            for (var r = 0; r < rows.Count; r++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(ys.AsSpan(r * hidden, hidden), rows[r].Weight,
                    sum.AsSpan(rows[r].Token * hidden, hidden), sum.AsSpan(rows[r].Token * hidden, hidden));
        }

        var shared = new float[t * hidden];
        SwiGluMlp.Forward(ctx, w.Shared, x, t, shared);
        System.Numerics.Tensors.TensorPrimitives.Add(sum, shared, output[..(t * hidden)]);
        BFloat16Math.RoundInPlace(output[..(t * hidden)]);
    }

    /// <summary>Picks this token's experts (or takes the forced ones) and computes their weights.</summary>
    private void Route(ForwardContext ctx, MoeWeights w, ReadOnlySpan<float> logits, int position, Span<int> picked, Span<float> weights)
    {
        Span<float> sigmoid = stackalloc float[_experts];
        Span<float> biased = stackalloc float[_experts];
        for (var e = 0; e < _experts; e++)
        {
            sigmoid[e] = 1f / (1f + MathF.Exp(-logits[e]));
            biased[e] = sigmoid[e] + w.CorrectionBias[e];
        }
        ctx.Trace?.RouterScores(_moeIndex, position, sigmoid, biased);

        if (ctx.Forced is { } forced && forced.TryGetRouting(position, _moeIndex, out var forcedExperts))
            forcedExperts.CopyTo(picked);
        else
            SelectExperts(biased, picked);
        picked.Sort();

        var total = 0f;
        for (var j = 0; j < picked.Length; j++)
        {
            weights[j] = sigmoid[picked[j]];
            total += weights[j];
        }
        for (var j = 0; j < picked.Length; j++)
        {
            if (_normalize) weights[j] /= total;
            weights[j] *= _routeScale;
        }
        ctx.Record?.SetRouting(position, _moeIndex, picked);
    }

    /// <summary>Group-limited top-k on bias-corrected scores.</summary>
    private void SelectExperts(Span<float> biased, Span<int> picked)
    {
        var perGroup = _experts / _groups;
        if (_groups > 1)
        {
            Span<float> groupScore = stackalloc float[_groups];
            Span<int> top2 = stackalloc int[2];
            for (var g = 0; g < _groups; g++)
            {
                var group = biased.Slice(g * perGroup, perGroup);
                var n = TopK.Select(group, Math.Min(2, perGroup), top2);
                var s = 0f;
                for (var j = 0; j < n; j++) s += group[top2[j]];
                groupScore[g] = s;
            }
            Span<int> keptGroups = stackalloc int[_topkGroups];
            TopK.Select(groupScore, _topkGroups, keptGroups);
            Span<bool> keep = stackalloc bool[_groups];
            foreach (var g in keptGroups) keep[g] = true;
            for (var g = 0; g < _groups; g++)
                if (!keep[g]) biased.Slice(g * perGroup, perGroup).Fill(float.NegativeInfinity);
        }
        TopK.Select(biased, _perToken, picked);
    }
}
