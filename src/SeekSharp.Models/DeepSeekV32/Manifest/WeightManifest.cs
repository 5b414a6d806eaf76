using SeekSharp.Core;
using SeekSharp.IO.Config;

namespace SeekSharp.Models.DeepSeekV32.Manifest;

/// <summary>One tensor the config implies.</summary>
/// <param name="Name">HF tensor name, e.g. "model.layers.0.self_attn.q_a_proj.weight".</param>
/// <param name="Shape">Dimensions; [out, in] for linear weights, [n] for norms and biases.</param>
/// <param name="AllowedDTypes">Element types accepted in the checkpoint (first = the one DeepSeek ships).</param>
/// <param name="ScaleName">The FP8 block-scale sibling ("...weight_scale_inv", F32), or null for unquantised tensors.</param>
/// <param name="ScaleShape">[⌈out/128⌉, ⌈in/128⌉] when <paramref name="ScaleName"/> is set.</param>
public sealed record ExpectedTensor(string Name, long[] Shape, IReadOnlyList<DType> AllowedDTypes, string? ScaleName, long[]? ScaleShape)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }
}

/// <summary>
/// Every tensor of the main model (layers 0..num_hidden_layers-1) derived from config.json alone, with HF names and
/// [out, in] shapes (spec §2.3). In an FP8 checkpoint the projections (attention, indexer wq_b/wk, dense, expert and shared
/// MLPs) are F8_E4M3 with a weight_scale_inv; embeddings, norms, the router, weights_proj and lm_head never are.
/// </summary>
public static class WeightManifest
{
    /// <summary>Dtypes of unquantised tensors: DeepSeek ships BF16; F16/F32 are accepted in non-FP8 conversions.</summary>
    private static readonly DType[] s_float = [DType.BF16, DType.F16, DType.F32];
    private static readonly DType[] s_fp8 = [DType.F8E4M3];

    /// <summary>The router's correction bias is F32 in the official files; BF16 conversions exist.</summary>
    private static readonly DType[] s_correctionBias = [DType.F32, DType.BF16];

    public static IReadOnlyList<ExpectedTensor> Expected(DeepSeekConfig c)
    {
        var perMoeLayer = 32 + 6 * c.NRoutedExperts;
        var list = new List<ExpectedTensor>(3 + c.NumHiddenLayers * perMoeLayer);
        list.Add(Plain("model.embed_tokens.weight", c.VocabSize, c.HiddenSize));  // [vocab, hidden]
        for (var layer = 0; layer < c.NumHiddenLayers; layer++) AddLayer(list, c, layer);
        list.Add(Plain("model.norm.weight", c.HiddenSize));
        list.Add(Plain("lm_head.weight", c.VocabSize, c.HiddenSize));            // [vocab, hidden], untied
        return list;
    }

    /// <summary>
    /// Cache bytes one token adds to one layer: the MLA latent + rope key in BF16 ((kv_lora_rank + qk_rope_head_dim) × 2),
    /// plus for DSA the indexer key in FP8 (index_head_dim bytes) and its F32 scale (4 bytes). 1284 B for V3.2 (spec §1.13).
    /// </summary>
    public static long KvCacheBytesPerTokenPerLayer(DeepSeekConfig c)
    {
        var bytes = (c.KvLoraRank + c.QkRopeHeadDim) * 2L;
        if (c.HasIndexer) bytes += c.IndexHeadDim + 4L;
        return bytes;
    }

    /// <summary><see cref="KvCacheBytesPerTokenPerLayer"/> over all main-model layers.</summary>
    public static long KvCacheBytesPerToken(DeepSeekConfig c) => KvCacheBytesPerTokenPerLayer(c) * c.NumHiddenLayers;

    private static void AddLayer(List<ExpectedTensor> list, DeepSeekConfig c, int layer)
    {
        var p = $"model.layers.{layer}.";
        var heads = (long)c.NumAttentionHeads;
        list.Add(Plain(p + "input_layernorm.weight", c.HiddenSize));
        list.Add(Plain(p + "post_attention_layernorm.weight", c.HiddenSize));

        // MLA: q = q_b(norm(q_a(x))), latent + rope key = kv_a(x), k_nope|v = kv_b(norm(latent))
        var attn = p + "self_attn.";
        list.Add(Linear(c, attn + "q_a_proj.weight", c.QLoraRank, c.HiddenSize));
        list.Add(Plain(attn + "q_a_layernorm.weight", c.QLoraRank));
        list.Add(Linear(c, attn + "q_b_proj.weight", heads * c.QkHeadDim, c.QLoraRank));
        list.Add(Linear(c, attn + "kv_a_proj_with_mqa.weight", c.KvLoraRank + c.QkRopeHeadDim, c.HiddenSize));
        list.Add(Plain(attn + "kv_a_layernorm.weight", c.KvLoraRank));
        list.Add(Linear(c, attn + "kv_b_proj.weight", heads * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank));
        list.Add(Linear(c, attn + "o_proj.weight", c.HiddenSize, heads * c.VHeadDim));

        if (c.HasIndexer)
        {
            // lightning indexer: queries from the q LoRA latent, one shared key from x, per-head weights from x
            var ix = attn + "indexer.";
            list.Add(Linear(c, ix + "wq_b.weight", (long)c.IndexNHeads * c.IndexHeadDim, c.QLoraRank));
            list.Add(Linear(c, ix + "wk.weight", c.IndexHeadDim, c.HiddenSize));
            list.Add(Plain(ix + "k_norm.weight", c.IndexHeadDim));
            list.Add(Plain(ix + "k_norm.bias", c.IndexHeadDim));
            list.Add(Plain(ix + "weights_proj.weight", c.IndexNHeads, c.HiddenSize));
        }

        if (!c.IsMoeLayer(layer))
        {
            AddMlp(list, c, p + "mlp.", c.IntermediateSize);
            return;
        }
        list.Add(Plain(p + "mlp.gate.weight", c.NRoutedExperts, c.HiddenSize));
        list.Add(new ExpectedTensor(p + "mlp.gate.e_score_correction_bias", [c.NRoutedExperts], s_correctionBias, null, null));
        for (var e = 0; e < c.NRoutedExperts; e++) AddMlp(list, c, $"{p}mlp.experts.{e}.", c.MoeIntermediateSize);
        AddMlp(list, c, p + "mlp.shared_experts.", (long)c.MoeIntermediateSize * c.NSharedExperts);
    }

    /// <summary>SwiGLU MLP: gate/up [inner, hidden], down [hidden, inner].</summary>
    private static void AddMlp(List<ExpectedTensor> list, DeepSeekConfig c, string prefix, long inner)
    {
        list.Add(Linear(c, prefix + "gate_proj.weight", inner, c.HiddenSize));
        list.Add(Linear(c, prefix + "up_proj.weight", inner, c.HiddenSize));
        list.Add(Linear(c, prefix + "down_proj.weight", c.HiddenSize, inner));
    }

    private static ExpectedTensor Plain(string name, params long[] shape) => new(name, shape, s_float, null, null);

    /// <summary>A projection [out, in]: FP8 with a [⌈out/128⌉, ⌈in/128⌉] weight_scale_inv in FP8 checkpoints, else a float dtype.</summary>
    private static ExpectedTensor Linear(DeepSeekConfig c, string name, long outFeatures, long inFeatures)
    {
        if (c.Quantization is not { } q) return Plain(name, outFeatures, inFeatures);
        var block = q.WeightBlockSize;
        long[] scaleShape = [CeilDiv(outFeatures, block.Rows), CeilDiv(inFeatures, block.Cols)];
        return new ExpectedTensor(name, [outFeatures, inFeatures], s_fp8, string.Concat(name, "_scale_inv"), scaleShape);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
