namespace SeekSharp.IO.Config;

/// <summary>
/// What this engine supports and what must hold between keys; checked after reading a config and before writing one.
/// Each failure names the config.json key (dotted for nested objects) that has to change.
/// </summary>
internal static class DeepSeekConfigRules
{
    public static void Validate(DeepSeekConfig c, string source)
    {
        CheckSupportedVariants(c, source);
        CheckAttention(c, source);
        CheckExperts(c, source);
        if (c.FirstKDenseReplace > c.NumHiddenLayers)
            throw Fail(source, "first_k_dense_replace", $"{c.FirstKDenseReplace} exceeds num_hidden_layers {c.NumHiddenLayers}");
        if (c.RopeScaling is { } y) CheckYarn(y, source);
        if (c.Quantization is { } q) CheckFp8(q, source);
    }

    /// <summary>Keys whose other values select model variants we do not implement.</summary>
    private static void CheckSupportedVariants(DeepSeekConfig c, string source)
    {
        if (c.ModelType is not (DeepSeekConfig.V32ModelType or DeepSeekConfig.V3ModelType))
            throw Unsupported(source, "model_type", c.ModelType, "deepseek_v32, deepseek_v3");
        if (c.HiddenAct != "silu") throw Unsupported(source, "hidden_act", c.HiddenAct, "silu");
        // softmax scoring (DeepSeek-V2) and greedy / group_limited_greedy routing have no e_score_correction_bias
        if (c.ScoringFunc != "sigmoid") throw Unsupported(source, "scoring_func", c.ScoringFunc, "sigmoid");
        if (c.TopkMethod != "noaux_tc") throw Unsupported(source, "topk_method", c.TopkMethod, "noaux_tc");
        if (c.TieWordEmbeddings)
            throw Fail(source, "tie_word_embeddings", "tied embeddings are not supported (DeepSeek checkpoints store lm_head separately)");
    }

    private static void CheckAttention(DeepSeekConfig c, string source)
    {
        if (c.NumKeyValueHeads != c.NumAttentionHeads)
            throw Fail(source, "num_key_value_heads", $"{c.NumKeyValueHeads} must equal num_attention_heads {c.NumAttentionHeads} (MLA shares one latent across all heads)");
        if (c.QkRopeHeadDim % 2 != 0)
            throw Fail(source, "qk_rope_head_dim", $"{c.QkRopeHeadDim} must be even (RoPE rotates pairs)");
        if (!c.HasIndexer) return;
        if (c.IndexNHeads <= 0) throw Fail(source, "index_n_heads", $"must be positive, got {c.IndexNHeads}");
        if (c.IndexTopk <= 0) throw Fail(source, "index_topk", $"must be positive, got {c.IndexTopk}");
        if (c.IndexHeadDim < c.QkRopeHeadDim)
            throw Fail(source, "index_head_dim", $"{c.IndexHeadDim} is smaller than qk_rope_head_dim {c.QkRopeHeadDim} (the indexer ropes its first qk_rope_head_dim dims)");
        if ((c.IndexHeadDim & (c.IndexHeadDim - 1)) != 0)
            throw Fail(source, "index_head_dim", $"{c.IndexHeadDim} must be a power of two (the indexer applies a Hadamard rotation)");
    }

    private static void CheckExperts(DeepSeekConfig c, string source)
    {
        if (c.NumExpertsPerTok > c.NRoutedExperts)
            throw Fail(source, "num_experts_per_tok", $"{c.NumExpertsPerTok} exceeds n_routed_experts {c.NRoutedExperts}");
        if (c.NRoutedExperts % c.NGroup != 0)
            throw Fail(source, "n_group", $"{c.NGroup} does not divide n_routed_experts {c.NRoutedExperts}");
        if (c.TopkGroup > c.NGroup)
            throw Fail(source, "topk_group", $"{c.TopkGroup} exceeds n_group {c.NGroup}");
        var perGroup = c.NRoutedExperts / c.NGroup;
        if (c.NumExpertsPerTok > c.TopkGroup * perGroup)
            throw Fail(source, "num_experts_per_tok", $"{c.NumExpertsPerTok} exceeds the experts of the kept groups (topk_group {c.TopkGroup} × {perGroup} per group)");
    }

    private static void CheckYarn(YarnScaling y, string source)
    {
        if (y.Type != "yarn") throw Unsupported(source, "rope_scaling.type", y.Type, "yarn");
        if (!(y.Factor > 0)) throw Fail(source, "rope_scaling.factor", $"must be positive, got {y.Factor}");
        if (y.OriginalMaxPositionEmbeddings <= 0)
            throw Fail(source, "rope_scaling.original_max_position_embeddings", $"must be positive, got {y.OriginalMaxPositionEmbeddings}");
    }

    private static void CheckFp8(Fp8Quantization q, string source)
    {
        if (q.QuantMethod != "fp8") throw Unsupported(source, "quantization_config.quant_method", q.QuantMethod, "fp8");
        if (q.Fmt != "e4m3") throw Unsupported(source, "quantization_config.fmt", q.Fmt, "e4m3");
        if (q.ActivationScheme != "dynamic") throw Unsupported(source, "quantization_config.activation_scheme", q.ActivationScheme, "dynamic");
        if (q.ScaleFmt is not (null or "ue8m0")) throw Unsupported(source, "quantization_config.scale_fmt", q.ScaleFmt, "ue8m0, null");
        if (q.WeightBlockSize != new BlockSize(128, 128))
            throw Fail(source, "quantization_config.weight_block_size",
                $"[{q.WeightBlockSize.Rows}, {q.WeightBlockSize.Cols}] is not supported (supported: [128, 128])");
    }

    private static CheckpointFormatException Fail(string source, string key, string problem) => new(source, key, problem);

    private static CheckpointFormatException Unsupported(string source, string key, string value, string supported) =>
        new(source, key, $"'{value}' is not supported (supported: {supported})");
}
