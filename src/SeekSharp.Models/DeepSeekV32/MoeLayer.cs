using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// DeepSeek MoE: sigmoid router with a selection-only correction bias, group-limited top-k
/// (group score = sum of its top-2 biased scores), weights = unbiased sigmoid of the picked experts,
/// renormalised, × routed_scaling_factor; routed experts summed in fp32 in ascending id, shared expert added last.
/// </summary>
public sealed class MoeLayer(DeepSeekConfig config, int moeIndex)
{
    private readonly MoeRouting _routing = new(config.NRoutedExperts, config.NGroup, config.TopkGroup, config.NumExpertsPerTok,
        config.NormTopkProb, (float)config.RoutedScalingFactor);

    /// <param name="x">[tokens, hidden] ffn-normed input.</param>
    /// <param name="output">[tokens, hidden] bf16 values.</param>
    public void Forward(ForwardContext ctx, DeviceMoeWeights w, DeviceBuffer x, DeviceBuffer output)
    {
        var d = ctx.Device;
        var t = ctx.Tokens;
        var k = _routing.PerToken;
        var experts = _routing.Experts;
        var hidden = w.Router.In;

        var logits = ctx.Temp(DType.F32, (long)t * experts);              // [t, experts] fp32
        ctx.LinearFp32(w.Router, MatrixView.Dense(x, t, hidden), MatrixView.Dense(logits, t, experts));
        if (ctx.Trace is { } trace) TraceRouter(trace, ctx, w, logits);

        var ids = ctx.Temp(DType.I32, (long)t * k);                       // [t, k] sorted expert ids
        var weights = ctx.Temp(DType.F32, (long)t * k);                   // [t, k] fp32
        d.MoeRoute(logits, w.CorrectionBias, t, _routing, Forced(ctx), ids, weights);

        if (ctx.Record is { } record)
        {
            var picked = new int[t * k];
            d.Download<int>(ids, 0, picked);
            for (var i = 0; i < t; i++) record.SetRouting(ctx.PositionOfRow(i), moeIndex, picked.AsSpan(i * k, k));
        }

        var sum = ctx.Temp(DType.F32, (long)t * hidden);                  // [t, hidden] fp32 sum of the routed experts
        if (w.Grouped is { } grouped)
            d.MoeExperts(x, t, ids, weights, k, grouped, ctx.PowerOfTwoScales, sum);   // on the device, no round trip
        else
            RunExpertsOneByOne(ctx, w, x, ids, weights, sum);

        var shared = ctx.Temp(DType.F32, (long)t * hidden);
        SwiGluMlp.Forward(ctx, w.Shared, x, t, shared);
        d.AddRound(sum, shared, output, t * hidden);
    }

    /// <summary>
    /// The routed experts as separate launches: the ids and weights come back to the host, which groups the rows by
    /// expert (ascending id, tokens in order) and runs each used expert on its rows, scatter-adding in that order.
    /// </summary>
    private void RunExpertsOneByOne(ForwardContext ctx, DeviceMoeWeights w, DeviceBuffer x, DeviceBuffer ids, DeviceBuffer weights,
        DeviceBuffer sum)
    {
        var d = ctx.Device;
        var t = ctx.Tokens;
        var k = _routing.PerToken;
        var experts = _routing.Experts;
        var hidden = w.Router.In;
        var hostIds = new int[t * k];
        var hostWeights = new float[t * k];
        d.Download<int>(ids, 0, hostIds);
        d.Download<float>(weights, 0, hostWeights);

        var offsets = new int[experts + 1];
        foreach (var e in hostIds) offsets[e + 1]++;
        for (var e = 0; e < experts; e++) offsets[e + 1] += offsets[e];
        var rowTokens = new int[t * k];
        var rowScales = new float[t * k];
        var fill = offsets[..experts];
        for (var i = 0; i < t; i++)
            for (var j = 0; j < k; j++)
            {
                var e = hostIds[i * k + j];
                rowTokens[fill[e]] = i;
                rowScales[fill[e]++] = hostWeights[i * k + j];
            }
        var tokensBuffer = ctx.Temp(DType.I32, rowTokens.Length);
        var scalesBuffer = ctx.Temp(DType.F32, rowScales.Length);
        d.Upload<int>(rowTokens, tokensBuffer);
        d.Upload<float>(rowScales, scalesBuffer);

        var most = 0;
        for (var e = 0; e < experts; e++) most = Math.Max(most, offsets[e + 1] - offsets[e]);
        var xs = ctx.Temp(DType.F32, (long)Math.Max(1, most) * hidden);
        var ys = ctx.Temp(DType.F32, (long)Math.Max(1, most) * hidden);
        for (var e = 0; e < experts; e++)
        {
            var count = offsets[e + 1] - offsets[e];
            if (count == 0) continue;
            d.GatherRows(x, tokensBuffer, offsets[e], count, hidden, xs);
            SwiGluMlp.Forward(ctx, w.Experts[e], xs, count, ys);
            d.ScatterAddScaled(ys, tokensBuffer, scalesBuffer, offsets[e], count, hidden, sum);
        }
    }

    /// <summary>Forced expert ids of this call's rows ([t, k], -1 rows not forced), or null when none is forced.</summary>
    private DeviceBuffer? Forced(ForwardContext ctx)
    {
        if (ctx.Forced is not { } forced) return null;
        var k = _routing.PerToken;
        var rows = new int[ctx.Tokens * k];
        rows.AsSpan().Fill(-1);
        var any = false;
        for (var i = 0; i < ctx.Tokens; i++)
        {
            if (!forced.TryGetRouting(ctx.PositionOfRow(i), moeIndex, out var experts)) continue;
            if (experts.Length != k)
                throw new ArgumentException($"forced routing of position {ctx.PositionOfRow(i)}, MoE layer {moeIndex} has {experts.Length} experts, expected {k}");
            foreach (var e in experts)
                if ((uint)e >= (uint)_routing.Experts)
                    throw new ArgumentException($"forced routing of position {ctx.PositionOfRow(i)}, MoE layer {moeIndex} names expert {e}; the layer has {_routing.Experts}");
            experts.CopyTo(rows.AsSpan(i * k, k));
            any = true;
        }
        if (!any) return null;
        var buffer = ctx.Temp(DType.I32, rows.Length);
        ctx.Device.Upload<int>(rows, buffer);
        return buffer;
    }

    private void TraceRouter(IForwardTrace trace, ForwardContext ctx, DeviceMoeWeights w, DeviceBuffer logits)
    {
        var experts = _routing.Experts;
        var host = ctx.DownloadFloats(logits, (long)ctx.Tokens * experts);
        var sigmoid = new float[experts];
        var biased = new float[experts];
        for (var i = 0; i < ctx.Tokens; i++)
        {
            for (var e = 0; e < experts; e++)
            {
                sigmoid[e] = 1f / (1f + MathF.Exp(-host[i * experts + e]));
                biased[e] = sigmoid[e] + w.CorrectionBiasHost[e];
            }
            trace.RouterScores(moeIndex, ctx.PositionOfRow(i), sigmoid, biased);
        }
    }
}
