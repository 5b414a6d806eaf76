using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// Multi-head latent attention over DSA-selected keys. Two exact forms of the same math:
/// MHA (reference prefill from position 0: expand k_nope and v from the latent with kv_b) and
/// absorbed MQA (decode and continued prefill: fold W_UK into q, attend over the 576-wide latent cache, apply W_UV).
/// The absorbed form runs once per layer for each <see cref="AttentionGroup"/>: every sequence of a batch sharing a
/// cache pool in one call of the paged ops.
/// </summary>
/// <param name="fp8Latent">Fake-quantise the latent to FP8 before caching (see <see cref="ModelOptions.Fp8LatentCache"/>).</param>
public sealed class MlaAttention(DeepSeekConfig config, float softmaxScale, bool fp8Latent = false)
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

        // q_pe and k_pe rotated at each row's position; the normalised latent: the new cache rows
        ctx.Rope.ApplyAt(new MatrixView(q, s.Nope, t * s.Heads, s.Rope, s.QkDim), s.Heads, ctx.RowPositions, RopeLayout.Interleaved);
        var kPe = new MatrixView(kv, s.KvLora, t, s.Rope, latentWidth);
        ctx.Rope.ApplyAt(kPe, 1, ctx.RowPositions, RopeLayout.Interleaved);
        var latent = ctx.Temp(DType.F32, (long)t * s.KvLora);         // [t, kv_lora]
        d.RmsNorm(new MatrixView(kv, 0, t, s.KvLora, latentWidth), w.KvNorm, _eps, MatrixView.Dense(latent, t, s.KvLora));
        // the reference's FP8 latent: every later use (cache, prefill kv_b) sees the e4m3 values (ue8m0 scales)
        if (fp8Latent) d.FakeQuantize(MatrixView.Dense(latent, t, s.KvLora), powerOfTwo: true);

        var attended = ctx.Temp(DType.F32, (long)t * s.Heads * s.V);  // [t, heads, v]
        foreach (var group in ctx.AttentionGroups)
            Attend(ctx, group, layer, lw, indexer, projections, q, latent, kPe, attended);
        ctx.Linear(w.O, attended, t, output);
    }

    /// <summary>One group: its new cache rows, its key selection, attention over its cache.</summary>
    private void Attend(ForwardContext ctx, AttentionGroup group, int layer, DeviceLayerWeights lw, LightningIndexer? indexer,
        IndexerProjections? projections, DeviceBuffer q, DeviceBuffer latent, MatrixView kPe, DeviceBuffer attended)
    {
        var d = ctx.Device;
        var w = lw.Attention;
        var s = _shape;
        var n = group.Rows;
        var row0 = group.RowOffset;
        var cache = group.Kv.Layer(layer);
        var newLatent = MatrixView.Dense(latent, n, s.KvLora, (long)row0 * s.KvLora);
        var newRope = kPe with { Offset = kPe.Offset + (long)row0 * kPe.Stride, Rows = n };
        if (cache.Latent.DType == DType.U8)
        {
            // FP8 rows hold exactly the fake-quantised values; without fake quantisation they would round the latent
            if (!fp8Latent) throw new InvalidOperationException("an FP8 latent cache needs a model built with ModelOptions.Fp8LatentCache");
            d.WriteLatentFp8Paged(newLatent, cache.Latent, group.Paged);
        }
        else
        {
            d.WriteRowsPaged(newLatent, cache.Latent, group.Paged);
        }
        d.WriteRowsPaged(newRope, cache.RopeKey, group.Paged);

        var selected = indexer is null || projections is null
            ? null                                                      // deepseek_v3: dense causal attention
            : indexer.Select(ctx, group, layer, projections, cache);

        var qs = ctx.RowRange(q, row0, n, s.Heads * s.QkDim);          // [n, heads, nope|rope]
        var output = row0 == 0 ? attended : ctx.Temp(DType.F32, (long)n * s.Heads * s.V);
        if (group.UsesMhaPrefill)
        {
            // a prompt from position 0: every key is one of its own new rows
            var kvb = ctx.Temp(DType.F32, (long)n * s.Heads * s.KvBDim);   // [n, heads, k_nope|v]
            d.Linear(w.KvB, newLatent, MatrixView.Dense(kvb, n, w.KvB.Out), true, ctx.PowerOfTwoScales);
            var ropeKeys = ctx.Temp(DType.F32, (long)n * s.Rope);          // [n, rope]
            d.CopyRows(newRope, MatrixView.Dense(ropeKeys, n, s.Rope));
            d.MlaPrefill(qs, kvb, ropeKeys, selected?.Indices, selected?.Width ?? 0, n, s, output);
        }
        else
        {
            d.MlaAbsorbedPaged(qs, w.KvBDequantized, cache.Latent, cache.RopeKey, selected?.Indices, selected?.Width ?? 0,
                group.Paged, s, output);
        }
        if (row0 != 0) d.Copy(output, 0, attended, (long)row0 * s.Heads * s.V, (long)n * s.Heads * s.V);
    }
}
