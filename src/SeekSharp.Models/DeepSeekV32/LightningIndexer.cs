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
    /// Writes this chunk's keys into the cache and returns, per query row, its selected key positions
    /// (forced ones when the context has them).
    /// </summary>
    /// <param name="x">[tokens, hidden] attn-normed input.</param>
    /// <param name="qr">[tokens, q_lora] normed q latent (shared with MLA).</param>
    public SelectedKeys Select(ForwardContext ctx, int layer, DeviceIndexerWeights w, DeviceBuffer x, DeviceBuffer qr)
    {
        var d = ctx.Device;
        var t = ctx.Tokens;
        var cache = ctx.Cache.Layer(layer);
        var rows = t * _heads;

        var q = ctx.Temp(DType.F32, (long)rows * _dim);                  // [t, heads, dim]
        ctx.Linear(w.QB, qr, t, q);
        var k = ctx.Temp(DType.F32, (long)t * _dim);                     // [t, dim]
        ctx.Linear(w.K, x, t, k);
        var weights = ctx.Temp(DType.F32, rows);                         // [t, heads] fp32
        ctx.LinearFp32(w.WeightsProj, MatrixView.Dense(x, t, w.WeightsProj.In), MatrixView.Dense(weights, t, _heads));

        // q: half-split RoPE on the first 64 dims, Hadamard, FP8 with one scale per head
        var q8 = ctx.Temp(DType.U8, (long)rows * _dim);
        var qScale = ctx.Temp(DType.F32, rows);
        ctx.Rope.Apply(new MatrixView(q, 0, rows, _rope, _dim), _heads, ctx.StartPos, RopeLayout.HalfSplit);
        d.HadamardRound(MatrixView.Dense(q, rows, _dim));
        d.ActQuant(MatrixView.Dense(q, rows, _dim), q8, 0, qScale, 0, ctx.PowerOfTwoScales);
        d.ScaleIndexerWeights(weights, qScale, rows, (float)Math.Pow(_heads, -0.5), (float)Math.Pow(_dim, -0.5));

        // k: LayerNorm, RoPE, Hadamard, FP8 straight into the cache rows of this chunk
        var kView = MatrixView.Dense(k, t, _dim);
        d.LayerNorm(kView, w.KNormWeight, w.KNormBias, 1e-6f);
        ctx.Rope.Apply(new MatrixView(k, 0, t, _rope, _dim), 1, ctx.StartPos, RopeLayout.HalfSplit);
        d.HadamardRound(kView);
        d.ActQuant(kView, cache.IndexKeys, (long)ctx.StartPos * _dim, cache.IndexScales, ctx.StartPos, ctx.PowerOfTwoScales);

        var end = ctx.EndPos;
        var width = Math.Min(_topk, end);
        var indices = ctx.Temp(DType.I32, (long)t * width);
        var forcedRows = ForcedRows(ctx, layer, width);
        var allForced = forcedRows.Count == t;
        if (!allForced || ctx.Trace is not null)
        {
            var scores = ctx.Temp(DType.F32, (long)t * end);             // [t, end], -inf above the diagonal
            d.IndexScores(q8, weights, cache.IndexKeys, cache.IndexScales, t, ctx.StartPos, _heads, _dim, scores);
            if (ctx.Trace is { } trace) trace.IndexScores(layer, ctx.StartPos, t, ctx.DownloadFloats(scores, (long)t * end));
            if (!allForced) d.TopK(scores, t, ctx.StartPos, width, indices);
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
                record.SetTopk(ctx.StartPos + i, layer, n < 0 ? row : row[..n]);
            }
        }
        return new SelectedKeys(indices, width);
    }

    /// <summary>Forced key sets of this call's rows, each -1 padded to <paramref name="width"/>.</summary>
    private static List<(int Row, int[] Keys)> ForcedRows(ForwardContext ctx, int layer, int width)
    {
        var rows = new List<(int, int[])>();
        if (ctx.Forced is not { } forced) return rows;
        for (var i = 0; i < ctx.Tokens; i++)
        {
            if (!forced.TryGetTopk(ctx.StartPos + i, layer, out var keys)) continue;
            if (keys.Length > width)
                throw new ArgumentException($"forced top-k of position {ctx.StartPos + i}, layer {layer} has {keys.Length} keys; at most {width} fit");
            var padded = new int[width];
            padded.AsSpan().Fill(-1);
            keys.CopyTo(padded);
            padded.AsSpan(0, keys.Length).Sort();
            rows.Add((i, padded));
        }
        return rows;
    }
}
