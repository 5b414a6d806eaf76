using SeekSharp.Core;
using SeekSharp.IO.Config;

namespace SeekSharp.Models.DeepSeekV32.Manifest;

/// <summary>One tensor the config implies: HF name, shape (out × in for weights), allowed dtypes, FP8 scale.</summary>
public sealed record ExpectedTensor(string Name, long[] Shape, IReadOnlyList<DType> AllowedDTypes, string? ScaleName, long[]? ScaleShape);

/// <summary>Every tensor of the main model (layers 0..n-1) derived from config.json alone (spec §2.3).</summary>
public static class WeightManifest
{
    private static readonly DType[] s_float = [DType.BF16, DType.F16, DType.F32];
    private static readonly DType[] s_fp8 = [DType.F8E4M3];
    private static readonly DType[] s_bias = [DType.F32, DType.BF16];

    public static IReadOnlyList<ExpectedTensor> Expected(DeepSeekConfig c)
    {
        var list = new List<ExpectedTensor>(32 + c.NumHiddenLayers * (30 + 3 * c.NRoutedExperts));
        list.Add(Plain("model.embed_tokens.weight", c.VocabSize, c.HiddenSize));
        for (var l = 0; l < c.NumHiddenLayers; l++) AddLayer(list, c, l);
        list.Add(Plain("model.norm.weight", c.HiddenSize));
        list.Add(Plain("lm_head.weight", c.VocabSize, c.HiddenSize));
        return list;
    }

    /// <summary>KV-cache bytes per token over all layers: bf16 latent + rope key, plus FP8 indexer key + fp32 scale.</summary>
    public static long KvCacheBytesPerToken(DeepSeekConfig c)
    {
        long perLayer = (c.KvLoraRank + c.QkRopeHeadDim) * 2L;
        if (c.HasIndexer) perLayer += c.IndexHeadDim + 4;
        return perLayer * c.NumHiddenLayers;
    }

    private static void AddLayer(List<ExpectedTensor> list, DeepSeekConfig c, int l)
    {
        var p = $"model.layers.{l}.";
        var heads = c.NumAttentionHeads;
        list.Add(Plain(p + "input_layernorm.weight", c.HiddenSize));
        list.Add(Plain(p + "post_attention_layernorm.weight", c.HiddenSize));
        list.Add(Linear(c, p + "self_attn.q_a_proj.weight", c.QLoraRank, c.HiddenSize));
        list.Add(Plain(p + "self_attn.q_a_layernorm.weight", c.QLoraRank));
        list.Add(Linear(c, p + "self_attn.q_b_proj.weight", heads * c.QkHeadDim, c.QLoraRank));
        list.Add(Linear(c, p + "self_attn.kv_a_proj_with_mqa.weight", c.KvLoraRank + c.QkRopeHeadDim, c.HiddenSize));
        list.Add(Plain(p + "self_attn.kv_a_layernorm.weight", c.KvLoraRank));
        list.Add(Linear(c, p + "self_attn.kv_b_proj.weight", heads * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank));
        list.Add(Linear(c, p + "self_attn.o_proj.weight", c.HiddenSize, heads * c.VHeadDim));
        if (c.HasIndexer)
        {
            list.Add(Linear(c, p + "self_attn.indexer.wq_b.weight", c.IndexNHeads * c.IndexHeadDim, c.QLoraRank));
            list.Add(Linear(c, p + "self_attn.indexer.wk.weight", c.IndexHeadDim, c.HiddenSize));
            list.Add(Plain(p + "self_attn.indexer.k_norm.weight", c.IndexHeadDim));
            list.Add(new ExpectedTensor(p + "self_attn.indexer.k_norm.bias", [c.IndexHeadDim], s_bias.Concat(s_float).Distinct().ToArray(), null, null));
            list.Add(Plain(p + "self_attn.indexer.weights_proj.weight", c.IndexNHeads, c.HiddenSize));
        }
        if (c.IsMoeLayer(l))
        {
            list.Add(Plain(p + "mlp.gate.weight", c.NRoutedExperts, c.HiddenSize));
            list.Add(new ExpectedTensor(p + "mlp.gate.e_score_correction_bias", [c.NRoutedExperts], s_bias, null, null));
            for (var e = 0; e < c.NRoutedExperts; e++) AddMlp(list, c, $"{p}mlp.experts.{e}.", c.MoeIntermediateSize);
            AddMlp(list, c, p + "mlp.shared_experts.", c.MoeIntermediateSize * c.NSharedExperts);
        }
        else
        {
            AddMlp(list, c, p + "mlp.", c.IntermediateSize);
        }
    }

    private static void AddMlp(List<ExpectedTensor> list, DeepSeekConfig c, string prefix, int inner)
    {
        list.Add(Linear(c, prefix + "gate_proj.weight", inner, c.HiddenSize));
        list.Add(Linear(c, prefix + "up_proj.weight", inner, c.HiddenSize));
        list.Add(Linear(c, prefix + "down_proj.weight", c.HiddenSize, inner));
    }

    private static ExpectedTensor Plain(string name, params long[] shape) => new(name, shape, s_float, null, null);

    /// <summary>A projection: FP8 with a [⌈out/128⌉, ⌈in/128⌉] weight_scale_inv in FP8 checkpoints, else a float dtype.</summary>
    private static ExpectedTensor Linear(DeepSeekConfig c, string name, long outFeatures, long inFeatures)
    {
        if (c.Quantization is not { } q) return Plain(name, outFeatures, inFeatures);
        long[] scaleShape = [(outFeatures + q.BlockRows - 1) / q.BlockRows, (inFeatures + q.BlockCols - 1) / q.BlockCols];
        return new ExpectedTensor(name, [outFeatures, inFeatures], s_fp8, name[..^"weight".Length] + "weight_scale_inv", scaleShape);
    }
}
