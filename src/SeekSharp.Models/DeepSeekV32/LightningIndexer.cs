using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>The key positions each query row attends to: I32 [tokens, Width], each row sorted ascending, -1 padded.</summary>
public sealed record SelectedKeys(DeviceBuffer Indices, int Width);

/// <summary>
/// DSA's lightning indexer: FP8 scores of every visible key for each query, then top-k.
/// I(t,s) = kscale(s) · Σ_j w'(t,j) · ReLU(q8(t,j)·k8(s)), w' = weights_proj(x)·H^-½·qscale·d^-½.
/// </summary>
public sealed class LightningIndexer(DeepSeekConfig config, int? topkOverride)
{
    private readonly int _heads = config.IndexNHeads;
    private readonly int _dim = config.IndexHeadDim;
    private readonly int _rope = config.QkRopeHeadDim;
    private readonly int _topk = topkOverride ?? config.IndexTopk;

    /// <summary>The row-wise projections of every segment's rows at once: q [t, heads, dim], k [t, dim], weights [t, heads] fp32.</summary>
    /// <param name="x">[tokens, hidden] attn-normed input.</param>
    /// <param name="qr">[tokens, q_lora] normed q latent (shared with MLA).</param>
    public IndexerProjections Project(ForwardContext ctx, DeviceIndexerWeights w, DeviceBuffer x, DeviceBuffer qr)
    {
        var t = ctx.Tokens;
        var q = ctx.Temp(DType.F32, (long)t * _heads * _dim);
        ctx.Linear(w.QB, qr, t, q);
        var k = ctx.Temp(DType.F32, (long)t * _dim);
        ctx.Linear(w.K, x, t, k);
        var weights = ctx.Temp(DType.F32, (long)t * _heads);
        ctx.LinearFp32(w.WeightsProj, MatrixView.Dense(x, t, w.WeightsProj.In), MatrixView.Dense(weights, t, _heads));
        return new IndexerProjections(w, q, k, weights);
    }

    /// <summary>
    /// Writes one segment's keys into its cache and returns, per query row, its selected key positions
    /// (forced ones when the context has them).
    /// </summary>
    public SelectedKeys Select(ForwardContext ctx, ForwardSegment segment, int layer, IndexerProjections p, KvLayerBuffers cache)
    {
        var d = ctx.Device;
        var t = segment.Tokens;
        var start = segment.StartPos;
        var row0 = segment.RowOffset;
        var rows = t * _heads;

        // q: half-split RoPE on the first 64 dims, Hadamard, FP8 with one scale per head
        var qView = MatrixView.Dense(p.Q, rows, _dim, (long)row0 * _heads * _dim);
        var q8 = ctx.Temp(DType.U8, (long)rows * _dim);
        var qScale = ctx.Temp(DType.F32, rows);
        ctx.Rope.Apply(qView with { Cols = _rope }, _heads, start, RopeLayout.HalfSplit);
        d.HadamardRound(qView);
        d.ActQuant(qView, q8, 0, qScale, 0, ctx.PowerOfTwoScales);
        var weights = ctx.SegmentRows(p.Weights, segment, _heads);      // [t, heads]
        d.ScaleIndexerWeights(weights, qScale, rows, (float)Math.Pow(_heads, -0.5), (float)Math.Pow(_dim, -0.5));

        // k: LayerNorm, RoPE, Hadamard, FP8 straight into the cache rows of this chunk
        var kView = MatrixView.Dense(p.K, t, _dim, (long)row0 * _dim);
        d.LayerNorm(kView, p.Layer.KNormWeight, p.Layer.KNormBias, 1e-6f);
        ctx.Rope.Apply(kView with { Cols = _rope }, 1, start, RopeLayout.HalfSplit);
        d.HadamardRound(kView);
        d.ActQuant(kView, cache.IndexKeys, (long)start * _dim, cache.IndexScales, start, ctx.PowerOfTwoScales);

        var end = segment.EndPos;
        var width = Math.Min(_topk, end);
        var indices = ctx.Temp(DType.I32, (long)t * width);
        var forcedRows = ForcedRows(ctx, start, t, layer, width);
        var allForced = forcedRows.Count == t;
        if (!allForced || ctx.Trace is not null)
        {
            var scores = ctx.Temp(DType.F32, (long)t * end);             // [t, end], -inf above the diagonal
            d.IndexScores(q8, weights, cache.IndexKeys, cache.IndexScales, t, start, _heads, _dim, scores);
            if (ctx.Trace is { } trace) trace.IndexScores(layer, start, t, ctx.DownloadFloats(scores, (long)t * end));
            if (!allForced) d.TopK(scores, t, start, width, indices);
        }
        foreach (var (row, keys) in forcedRows) d.Upload<int>(keys, indices, (long)row * width);

        if (ctx.Record is { } record)
        {
            var all = new int[t * width];
            d.Download<int>(indices, 0, all);
            for (var i = 0; i < t; i++)
            {
                var row = all.AsSpan(i * width, width);
                var n = row.IndexOf(-1);
                record.SetTopk(start + i, layer, n < 0 ? row : row[..n]);
            }
        }
        return new SelectedKeys(indices, width);
    }

    /// <summary>Forced key sets of this call's rows, each -1 padded to <paramref name="width"/>.</summary>
    private static List<(int Row, int[] Keys)> ForcedRows(ForwardContext ctx, int start, int tokens, int layer, int width)
    {
        var rows = new List<(int, int[])>();
        if (ctx.Forced is not { } forced) return rows;
        for (var i = 0; i < tokens; i++)
        {
            if (!forced.TryGetTopk(start + i, layer, out var keys)) continue;
            if (keys.Length > width)
                throw new ArgumentException($"forced top-k of position {start + i}, layer {layer} has {keys.Length} keys; at most {width} fit");
            var padded = new int[width];
            padded.AsSpan().Fill(-1);
            keys.CopyTo(padded);
            padded.AsSpan(0, keys.Length).Sort();
            rows.Add((i, padded));
        }
        return rows;
    }
}

/// <summary>The indexer's row-wise projections of one forward call: q [t, heads, dim], k [t, dim], weights [t, heads] fp32.</summary>
public sealed record IndexerProjections(DeviceIndexerWeights Layer, DeviceBuffer Q, DeviceBuffer K, DeviceBuffer Weights);
