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

    /// <param name="x">[tokens, hidden] attn-normed input.</param>
    /// <param name="output">[tokens, hidden] attention output (bf16 values).</param>
    public void Forward(ForwardContext ctx, int layer, DeviceLayerWeights lw, LightningIndexer? indexer, DeviceBuffer x, DeviceBuffer output)
    {
        var d = ctx.Device;
        var w = lw.Attention;
        var t = ctx.Tokens;
        var s = _shape;
        var cache = ctx.Cache.Layer(layer);
        var latentWidth = s.KvLora + s.Rope;

        var qr = ctx.Temp(DType.F32, (long)t * w.QA.Out);            // [t, q_lora]
        ctx.Linear(w.QA, x, t, qr);
        var qrView = MatrixView.Dense(qr, t, w.QA.Out);
        d.RmsNorm(qrView, w.QNorm, _eps, qrView);
        var q = ctx.Temp(DType.F32, (long)t * s.Heads * s.QkDim);     // [t, heads, nope|rope]
        ctx.Linear(w.QB, qr, t, q);
        var kv = ctx.Temp(DType.F32, (long)t * latentWidth);          // [t, latent|k_pe]
        ctx.Linear(w.KvA, x, t, kv);

        // q_pe rotated in place; latent normalised straight into the cache; k_pe rotated, then copied into the cache
        ctx.Rope.Apply(new MatrixView(q, s.Nope, t * s.Heads, s.Rope, s.QkDim), s.Heads, ctx.StartPos, RopeLayout.Interleaved);
        d.RmsNorm(new MatrixView(kv, 0, t, s.KvLora, latentWidth), w.KvNorm, _eps,
            MatrixView.Dense(cache.Latent, t, s.KvLora, (long)ctx.StartPos * s.KvLora));
        var kPe = new MatrixView(kv, s.KvLora, t, s.Rope, latentWidth);
        ctx.Rope.Apply(kPe, 1, ctx.StartPos, RopeLayout.Interleaved);
        d.CopyRows(kPe, MatrixView.Dense(cache.RopeKey, t, s.Rope, (long)ctx.StartPos * s.Rope));

        var selected = indexer is null || lw.Indexer is null
            ? null                                                      // deepseek_v3: dense causal attention
            : indexer.Select(ctx, layer, lw.Indexer, x, qr);

        var attended = ctx.Temp(DType.F32, (long)t * s.Heads * s.V);  // [t, heads, v]
        if (ctx.UsesMhaPrefill)
        {
            var kvb = ctx.Temp(DType.F32, (long)t * s.Heads * s.KvBDim);   // [t, heads, k_nope|v]
            d.Linear(w.KvB, MatrixView.Dense(cache.Latent, t, s.KvLora), MatrixView.Dense(kvb, t, w.KvB.Out), true, ctx.PowerOfTwoScales);
            d.MlaPrefill(q, kvb, cache.RopeKey, selected?.Indices, selected?.Width ?? 0, t, s, attended);
        }
        else
        {
            d.MlaAbsorbed(q, w.KvBDequantized, cache.Latent, cache.RopeKey, selected?.Indices, selected?.Width ?? 0,
                t, ctx.StartPos, s, attended);
        }
        ctx.Linear(w.O, attended, t, output);
    }
}
