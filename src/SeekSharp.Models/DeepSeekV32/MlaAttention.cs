using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// Multi-head latent attention over DSA-selected keys. Two exact forms of the same math:
/// MHA (reference prefill from position 0: expand k_nope and v from the latent with kv_b) and
/// absorbed MQA (decode and continued prefill: fold W_UK into q, attend over the 576-wide latent cache, apply W_UV).
/// </summary>
public sealed class MlaAttention(DeepSeekConfig config, float softmaxScale)
{
    private readonly MlaShape _shape = new(config.NumAttentionHeads, config.QkNopeHeadDim, config.QkRopeHeadDim,
        config.VHeadDim, config.KvLoraRank, softmaxScale);
    private readonly float _eps = (float)config.RmsNormEps;

    public MlaShape Shape => _shape;

    /// <param name="x">[tokens, hidden] attn-normed input (all segments' rows).</param>
    /// <param name="output">[tokens, hidden] attention output (bf16 values).</param>
    public void Forward(ForwardContext ctx, int layer, DeviceLayerWeights lw, LightningIndexer? indexer, DeviceBuffer x, DeviceBuffer output)
    {
        var d = ctx.Device;
        var w = lw.Attention;
        var t = ctx.Tokens;
        var s = _shape;
        var latentWidth = s.KvLora + s.Rope;

        // row-wise projections over every segment's rows at once
        var qr = ctx.Temp(DType.F32, (long)t * w.QA.Out);            // [t, q_lora]
        ctx.Linear(w.QA, x, t, qr);
        var qrView = MatrixView.Dense(qr, t, w.QA.Out);
        d.RmsNorm(qrView, w.QNorm, _eps, qrView);
        var q = ctx.Temp(DType.F32, (long)t * s.Heads * s.QkDim);     // [t, heads, nope|rope]
        ctx.Linear(w.QB, qr, t, q);
        var kv = ctx.Temp(DType.F32, (long)t * latentWidth);          // [t, latent|k_pe]
        ctx.Linear(w.KvA, x, t, kv);
        var projections = indexer is null || lw.Indexer is null ? null : indexer.Project(ctx, lw.Indexer, x, qr);

        var attended = ctx.Temp(DType.F32, (long)t * s.Heads * s.V);  // [t, heads, v]
        foreach (var segment in ctx.Segments)
            Attend(ctx, segment, layer, lw, indexer, projections, q, kv, attended);
        ctx.Linear(w.O, attended, t, output);
    }

    /// <summary>One sequence: RoPE at its positions, its new cache rows, its key selection, attention over its cache.</summary>
    private void Attend(ForwardContext ctx, ForwardSegment segment, int layer, DeviceLayerWeights lw, LightningIndexer? indexer,
        IndexerProjections? projections, DeviceBuffer q, DeviceBuffer kv, DeviceBuffer attended)
    {
        var d = ctx.Device;
        var w = lw.Attention;
        var s = _shape;
        var n = segment.Tokens;
        var row0 = segment.RowOffset;
        var start = segment.StartPos;
        var latentWidth = s.KvLora + s.Rope;
        var cache = segment.Kv.OpenLayer(layer, start, segment.EndPos);

        // q_pe rotated in place; latent normalised straight into the cache; k_pe rotated, then copied into the cache
        ctx.Rope.Apply(new MatrixView(q, (long)row0 * s.Heads * s.QkDim + s.Nope, n * s.Heads, s.Rope, s.QkDim), s.Heads, start, RopeLayout.Interleaved);
        d.RmsNorm(new MatrixView(kv, (long)row0 * latentWidth, n, s.KvLora, latentWidth), w.KvNorm, _eps,
            MatrixView.Dense(cache.Latent, n, s.KvLora, (long)start * s.KvLora));
        var kPe = new MatrixView(kv, (long)row0 * latentWidth + s.KvLora, n, s.Rope, latentWidth);
        ctx.Rope.Apply(kPe, 1, start, RopeLayout.Interleaved);
        d.CopyRows(kPe, MatrixView.Dense(cache.RopeKey, n, s.Rope, (long)start * s.Rope));

        var selected = indexer is null || projections is null
            ? null                                                      // deepseek_v3: dense causal attention
            : indexer.Select(ctx, segment, layer, projections, cache);

        var qs = ctx.SegmentRows(q, segment, s.Heads * s.QkDim);       // [n, heads, nope|rope]
        var output = row0 == 0 ? attended : ctx.Temp(DType.F32, (long)n * s.Heads * s.V);
        if (segment.UsesMhaPrefill)
        {
            var kvb = ctx.Temp(DType.F32, (long)n * s.Heads * s.KvBDim);   // [n, heads, k_nope|v]
            d.Linear(w.KvB, MatrixView.Dense(cache.Latent, n, s.KvLora), MatrixView.Dense(kvb, n, w.KvB.Out), true, ctx.PowerOfTwoScales);
            d.MlaPrefill(qs, kvb, cache.RopeKey, selected?.Indices, selected?.Width ?? 0, n, s, output);
        }
        else
        {
            d.MlaAbsorbed(qs, w.KvBDequantized, cache.Latent, cache.RopeKey, selected?.Indices, selected?.Width ?? 0,
                n, start, s, output);
        }
        if (row0 != 0) d.Copy(output, 0, attended, (long)row0 * s.Heads * s.V, (long)n * s.Heads * s.V);
        segment.Kv.CloseLayer(layer, cache, start, segment.EndPos);
    }
}
