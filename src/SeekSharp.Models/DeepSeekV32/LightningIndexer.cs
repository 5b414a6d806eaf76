using SeekSharp.Core.Numerics;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Ops;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// DSA's lightning indexer: FP8 scores of every visible key for each query, then top-k.
/// I(t,s) = kscale(s) · Σ_j w'(t,j) · ReLU(q8(t,j)·k8(s)), w' = weights_proj(x)·H^-½·qscale·d^-½.
/// </summary>
public sealed class LightningIndexer
{
    private readonly int _heads;
    private readonly int _dim;
    private readonly int _rope;
    private readonly int _topk;
    private readonly RopeTable _ropeTable;

    public LightningIndexer(DeepSeekConfig config, RopeTable rope, int? topkOverride)
    {
        _heads = config.IndexNHeads;
        _dim = config.IndexHeadDim;
        _rope = config.QkRopeHeadDim;
        _topk = topkOverride ?? config.IndexTopk;
        _ropeTable = rope;
    }

    /// <summary>
    /// Writes this chunk's keys into the cache and returns, per query row, its selected key positions
    /// (forced ones when the context has them), each sorted ascending.
    /// </summary>
    /// <param name="x">[tokens, hidden] attn-normed input.</param>
    /// <param name="qr">[tokens, q_lora] normed q latent (shared with MLA).</param>
    public int[][] Select(ForwardContext ctx, int layer, IndexerWeights w, ReadOnlySpan<float> x, ReadOnlySpan<float> qr)
    {
        var t = ctx.Tokens;
        var cache = ctx.Cache.Layer(layer);

        var q = new float[t * _heads * _dim];                // [t, heads, dim]
        ctx.Linear(w.QB, qr, t, q);
        var k = new float[t * _dim];                         // [t, dim]
        ctx.Linear(w.K, x, t, k);
        var weights = new float[t * _heads];                 // [t, heads] fp32
        ctx.LinearFp32(w.WeightsProj, x, t, weights);

        var q8 = new byte[q.Length];
        var qScale = new float[t * _heads];
        var headScale = (float)Math.Pow(_heads, -0.5);   // Python float scalars, applied in fp32
        var dimScale = (float)Math.Pow(_dim, -0.5);
        ctx.Backend.For(t, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var pos = ctx.StartPos + i;
                for (var h = 0; h < _heads; h++)
                {
                    var head = q.AsSpan((i * _heads + h) * _dim, _dim);
                    _ropeTable.RotateHalfSplit(head[.._rope], pos);
                    RotateAndRound(head);
                    ActQuant.QuantizeRow(head, q8.AsSpan((i * _heads + h) * _dim, _dim), qScale.AsSpan(i * _heads + h, 1), _dim, ctx.PowerOfTwoScales);
                    var wi = i * _heads + h;
                    weights[wi] = weights[wi] * headScale * qScale[wi] * dimScale;
                }
                var key = k.AsSpan(i * _dim, _dim);
                Norms.LayerNormRow(key, w.KNormWeight, w.KNormBias, 1e-6f);
                _ropeTable.RotateHalfSplit(key[.._rope], pos);
                RotateAndRound(key);
                ActQuant.QuantizeRow(key, cache.IndexKeyRow(pos), cache.IndexScales.AsSpan(pos, 1), _dim, ctx.PowerOfTwoScales);
            }
        });

        var end = ctx.EndPos;
        var selected = new int[t][];
        var trace = ctx.Trace;
        var scoresAll = trace is null ? null : new float[t * end];
        // one decode query: score its keys on all threads; a chunk of queries: one query per thread
        if (t == 1) SelectRows(0, 1);
        else ctx.Backend.For(t, SelectRows);
        void SelectRows(int start, int stop)
        {
            var scores = new float[end];
            var pick = new int[Math.Min(_topk, end)];
            for (var i = start; i < stop; i++)
            {
                var pos = ctx.StartPos + i;
                var visible = pos + 1;
                if (ctx.Forced is { } forced && forced.TryGetTopk(pos, layer, out var forcedKeys))
                {
                    selected[i] = forcedKeys.ToArray();
                    if (scoresAll is null) continue;
                }
                var row = scores.AsSpan(0, visible);
                Scores(ctx, q8.AsSpan(i * _heads * _dim, _heads * _dim), weights.AsSpan(i * _heads, _heads), cache, visible, row, t == 1);
                if (scoresAll is not null)
                {
                    row.CopyTo(scoresAll.AsSpan(i * end));
                    scoresAll.AsSpan(i * end + visible, end - visible).Fill(float.NegativeInfinity);
                }
                if (selected[i] is not null) continue;
                var n = TopK.Select(row, Math.Min(_topk, visible), pick);
                var set = pick[..n];
                Array.Sort(set);
                selected[i] = set;
            }
        }
        if (scoresAll is not null) trace!.IndexScores(layer, ctx.StartPos, t, scoresAll);
        if (ctx.Record is { } record)
            for (var i = 0; i < t; i++) record.SetTopk(ctx.StartPos + i, layer, selected[i]);
        return selected;
    }

    /// <summary>
    /// fp8_index for one query over keys [0, visible): score[s] = kscale[s]·Σ_h max(0, q8_h·k8_s)·w_h. e4m3 codes are
    /// exact in fp32, so decoding then SIMD dots changes only the fp32 summation order versus <see cref="Fp8Index"/>.
    /// A lone decode query spreads its keys over the backend's threads (the O(L) part of a long-context step).
    /// </summary>
    private void Scores(ForwardContext ctx, ReadOnlySpan<byte> q8, ReadOnlySpan<float> weights, SequenceCache.LayerCache cache,
        int visible, Span<float> scores, bool parallelKeys)
    {
        var q = new float[_heads * _dim];                    // [heads, dim] exact decoded codes
        Fp8E4M3.ToFloat(q8, q);
        var w = weights.ToArray();
        var keys = cache.IndexKeys;
        var scales = cache.IndexScales;
        var output = parallelKeys ? new float[visible] : null;
        void Range(int s0, int s1, Span<float> dst)
        {
            Span<float> key = stackalloc float[_dim];
            for (var s = s0; s < s1; s++)
            {
                Fp8E4M3.ToFloat(keys.AsSpan(s * _dim, _dim), key);
                var sum = 0f;
                for (var h = 0; h < _heads; h++)
                    sum += MathF.Max(System.Numerics.Tensors.TensorPrimitives.Dot(q.AsSpan(h * _dim, _dim), key), 0f) * w[h];
                dst[s - s0] = sum * scales[s];
            }
        }
        if (output is null)
        {
            Range(0, visible, scores);
            return;
        }
        ctx.Backend.For(visible, (s0, s1) => Range(s0, s1, output.AsSpan(s0, s1 - s0)));
        output.CopyTo(scores);
    }

    /// <summary>Hadamard rotation in fp32 of a bf16 vector, bf16 result (the reference's rotate_activation).</summary>
    private static void RotateAndRound(Span<float> v)
    {
        Hadamard.TransformInPlace(v);
        BFloat16Math.RoundInPlace(v);
    }
}
