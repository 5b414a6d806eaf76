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

    /// <summary>
    /// The row-wise part for every row of the call at once: q and k projected, rotated at each row's position,
    /// Hadamard-transformed and quantised to FP8 (q one scale per head, k one per row), and the head weights.
    /// </summary>
    /// <param name="x">[tokens, hidden] attn-normed input.</param>
    /// <param name="qr">[tokens, q_lora] normed q latent (shared with MLA).</param>
    public IndexerProjections Project(ForwardContext ctx, DeviceIndexerWeights w, DeviceBuffer x, DeviceBuffer qr)
    {
        var d = ctx.Device;
        var t = ctx.Tokens;
        var rows = t * _heads;

        // q: half-split RoPE on the first 64 dims, Hadamard, FP8 with one scale per head
        var q = ctx.Temp(DType.F32, (long)rows * _dim);               // [t, heads, dim]
        ctx.Linear(w.QB, qr, t, q);
        var qView = MatrixView.Dense(q, rows, _dim);
        ctx.Rope.ApplyAt(qView with { Cols = _rope }, _heads, ctx.RowPositions, RopeLayout.HalfSplit);
        d.HadamardRound(qView);
        var q8 = ctx.Temp(DType.U8, (long)rows * _dim);
        var qScale = ctx.Temp(DType.F32, rows);
        d.ActQuant(qView, q8, 0, qScale, 0, ctx.PowerOfTwoScales);
        var weights = ctx.Temp(DType.F32, (long)t * _heads);           // [t, heads]
        ctx.LinearFp32(w.WeightsProj, MatrixView.Dense(x, t, w.WeightsProj.In), MatrixView.Dense(weights, t, _heads));
        d.ScaleIndexerWeights(weights, qScale, rows, (float)Math.Pow(_heads, -0.5), (float)Math.Pow(_dim, -0.5));

        // k: LayerNorm, RoPE, Hadamard, FP8 (the new cache rows)
        var k = ctx.Temp(DType.F32, (long)t * _dim);                   // [t, dim]
        ctx.Linear(w.K, x, t, k);
        var kView = MatrixView.Dense(k, t, _dim);
        d.LayerNorm(kView, w.KNormWeight, w.KNormBias, 1e-6f);
        ctx.Rope.ApplyAt(kView with { Cols = _rope }, 1, ctx.RowPositions, RopeLayout.HalfSplit);
        d.HadamardRound(kView);
        var k8 = ctx.Temp(DType.U8, (long)t * _dim);
        var kScale = ctx.Temp(DType.F32, t);
        d.ActQuant(kView, k8, 0, kScale, 0, ctx.PowerOfTwoScales);
        return new IndexerProjections(q8, weights, k8, kScale);
    }

    /// <summary>
    /// Writes one group's keys into its cache and returns, per query row, its selected key positions (forced ones when
    /// the context has them).
    /// </summary>
    public SelectedKeys Select(ForwardContext ctx, AttentionGroup group, int layer, IndexerProjections p, KvLayerBuffers cache)
    {
        var d = ctx.Device;
        var t = group.Rows;
        var row0 = group.RowOffset;
        var paged = group.Paged;
        d.WriteRowsPaged(MatrixView.Dense(p.K8, t, _dim, (long)row0 * _dim), cache.IndexKeys, paged);
        d.WriteRowsPaged(MatrixView.Dense(p.KScale, t, 1, row0), cache.IndexScales, paged);

        var end = paged.MaxEnd;
        var width = Math.Min(_topk, end);
        var indices = ctx.Temp(DType.I32, (long)t * width);
        var forcedRows = ForcedRows(ctx, group, layer, width);
        var allForced = forcedRows.Count == t;
        if (!allForced || ctx.Trace is not null)
        {
            var q8 = ctx.RowRange(p.Q8, row0, t, _heads * _dim);
            var weights = ctx.RowRange(p.Weights, row0, t, _heads);
            var scores = ctx.Temp(DType.F32, (long)t * end);             // [t, end], -inf past each row's position
            d.IndexScoresPaged(q8, weights, cache.IndexKeys, cache.IndexScales, paged, _heads, _dim, scores);
            if (ctx.Trace is { } trace) TraceScores(ctx, trace, group, layer, scores);
            if (!allForced) d.TopKPaged(scores, paged, width, indices);
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
                record.SetTopk(paged.HostRowPositions[i], layer, n < 0 ? row : row[..n]);
            }
        }
        return new SelectedKeys(indices, width);
    }

    /// <summary>Each segment's scores as [tokens, its end] (the trace's shape).</summary>
    private static void TraceScores(ForwardContext ctx, IForwardTrace trace, AttentionGroup group, int layer, DeviceBuffer scores)
    {
        var width = group.Paged.MaxEnd;
        var all = ctx.DownloadFloats(scores, (long)group.Rows * width);
        foreach (var segment in group.Segments)
        {
            var end = segment.EndPos;
            var rows = new float[(long)segment.Tokens * end];
            for (var i = 0; i < segment.Tokens; i++)
                Array.Copy(all, (long)(segment.RowOffset - group.RowOffset + i) * width, rows, (long)i * end, end);
            trace.IndexScores(layer, segment.StartPos, segment.Tokens, rows);
        }
    }

    /// <summary>Forced key sets of the group's rows (row index within the group), each -1 padded to <paramref name="width"/>.</summary>
    private static List<(int Row, int[] Keys)> ForcedRows(ForwardContext ctx, AttentionGroup group, int layer, int width)
    {
        var rows = new List<(int, int[])>();
        if (ctx.Forced is not { } forced) return rows;
        var positions = group.Paged.HostRowPositions;
        for (var i = 0; i < group.Rows; i++)
        {
            var position = positions[i];
            if (!forced.TryGetTopk(position, layer, out var keys)) continue;
            if (keys.Length > width)
                throw new ArgumentException($"forced top-k of position {position}, layer {layer} has {keys.Length} keys; at most {width} fit");
            var padded = new int[width];
            padded.AsSpan().Fill(-1);
            keys.CopyTo(padded);
            padded.AsSpan(0, keys.Length).Sort();
            rows.Add((i, padded));
        }
        return rows;
    }
}

/// <summary>
/// The indexer's row-wise results of one forward call: q8 U8 [t, heads, dim] e4m3; weights F32 [t, heads] (scaled);
/// k8 U8 [t, dim] and kScale F32 [t], the new key cache rows.
/// </summary>
public sealed record IndexerProjections(DeviceBuffer Q8, DeviceBuffer Weights, DeviceBuffer K8, DeviceBuffer KScale);
