using System.Text.Json;

namespace SeekSharp.IO.Config;

/// <summary>
/// Reads config.json into a <see cref="DeepSeekConfig"/>; every rejection is a <see cref="CheckpointFormatException"/> naming the key.
/// Unknown keys (architectures, attention_bias, use_cache, ...) are ignored. Keys that only ever have one value in
/// DeepSeek checkpoints may be absent and then take HF's default (hidden_act silu, scoring_func sigmoid, topk_method noaux_tc,
/// num_key_value_heads = num_attention_heads, moe_layer_freq 1, no MTP, untied, bos 0, eos 1); sizes are required.
/// </summary>
internal static class DeepSeekConfigReader
{
    public static DeepSeekConfig Parse(string json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw new CheckpointFormatException(source, null, $"config is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(source, null, $"config must be a JSON object, got {doc.RootElement.ValueKind}");
            var config = Read(new ConfigKeys(doc.RootElement, source));
            DeepSeekConfigRules.Validate(config, source);
            return config;
        }
    }

    private static DeepSeekConfig Read(ConfigKeys r)
    {
        // the model type decides which keys are required, so it is checked first
        var modelType = r.String("model_type");
        if (modelType is not (DeepSeekConfig.V32ModelType or DeepSeekConfig.V3ModelType))
            throw r.Unsupported("model_type", modelType, "deepseek_v32, deepseek_v3");
        var isV32 = modelType == DeepSeekConfig.V32ModelType;
        if (r.Has("q_lora_rank") && r.IsAbsent("q_lora_rank"))
            throw r.Error("q_lora_rank", "null (queries projected without a LoRA, as in DeepSeek-V2-Lite) is not supported; DeepSeek-V3/V3.2 use q_lora_rank 1536");
        var heads = r.Positive("num_attention_heads");

        return new DeepSeekConfig
        {
            ModelType = modelType,
            VocabSize = r.Positive("vocab_size"),
            HiddenSize = r.Positive("hidden_size"),
            IntermediateSize = r.Positive("intermediate_size"),
            MoeIntermediateSize = r.Positive("moe_intermediate_size"),
            NumHiddenLayers = r.Positive("num_hidden_layers"),
            FirstKDenseReplace = r.NonNegative("first_k_dense_replace"),
            MoeLayerFreq = r.Positive("moe_layer_freq", 1),
            NumAttentionHeads = heads,
            NumKeyValueHeads = r.Positive("num_key_value_heads", heads),
            NRoutedExperts = r.Positive("n_routed_experts"),
            NSharedExperts = r.Positive("n_shared_experts"),
            NumExpertsPerTok = r.Positive("num_experts_per_tok"),
            NGroup = r.Positive("n_group"),
            TopkGroup = r.Positive("topk_group"),
            ScoringFunc = r.String("scoring_func", "sigmoid"),
            TopkMethod = r.String("topk_method", "noaux_tc"),
            NormTopkProb = r.Bool("norm_topk_prob"),
            RoutedScalingFactor = r.PositiveNumber("routed_scaling_factor"),
            QLoraRank = r.Positive("q_lora_rank"),
            KvLoraRank = r.Positive("kv_lora_rank"),
            QkNopeHeadDim = r.Positive("qk_nope_head_dim"),
            QkRopeHeadDim = r.Positive("qk_rope_head_dim"),
            VHeadDim = r.Positive("v_head_dim"),
            IndexNHeads = isV32 ? r.Positive("index_n_heads") : 0,
            IndexHeadDim = isV32 ? r.Positive("index_head_dim") : 0,
            IndexTopk = isV32 ? r.Positive("index_topk") : 0,
            RmsNormEps = r.PositiveNumber("rms_norm_eps"),
            RopeTheta = r.PositiveNumber("rope_theta"),
            RopeScaling = r.IsAbsent("rope_scaling") ? null : ReadYarn(r.Object("rope_scaling")),
            MaxPositionEmbeddings = r.Positive("max_position_embeddings"),
            NumNextnPredictLayers = r.NonNegative("num_nextn_predict_layers", 0),
            TieWordEmbeddings = r.Bool("tie_word_embeddings", false),
            HiddenAct = r.String("hidden_act", "silu"),
            BosTokenId = r.NonNegative("bos_token_id", 0),
            EosTokenIds = r.IsAbsent("eos_token_id") ? [1] : r.NonNegativeIntegers("eos_token_id"),
            Quantization = r.IsAbsent("quantization_config") ? null : ReadFp8(r.Object("quantization_config")),
            TorchDtype = r.IsAbsent("torch_dtype") ? null : r.String("torch_dtype"),
        };
    }

    /// <summary>rope_scaling; the type may be spelled `type` (DeepSeek's files) or `rope_type` (newer HF files).</summary>
    private static YarnScaling ReadYarn(ConfigKeys y)
    {
        foreach (var key in (string[])["type", "rope_type"])
        {
            if (y.Has(key) && y.String(key) != "yarn") throw y.Unsupported(key, y.String(key), "yarn");
        }
        var type = y.Has("type") ? y.String("type") : y.String("rope_type");
        return new YarnScaling(
            type,
            y.PositiveNumber("factor"),
            y.Positive("original_max_position_embeddings"),
            y.PositiveNumber("beta_fast"),
            y.PositiveNumber("beta_slow"),
            y.Number("mscale"),
            y.Number("mscale_all_dim"));
    }

    /// <summary>quantization_config; fmt, activation_scheme and weight_block_size default as in HF's FP8 config class.</summary>
    private static Fp8Quantization ReadFp8(ConfigKeys q)
    {
        var block = new BlockSize(128, 128);
        if (!q.IsAbsent("weight_block_size"))
        {
            var v = q.Element("weight_block_size");
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2)
                throw q.Error("weight_block_size", $"must be a list of two integers, got {v.GetRawText()}");
            block = new BlockSize(q.IntegerValue(v[0], "weight_block_size[0]"), q.IntegerValue(v[1], "weight_block_size[1]"));
        }
        return new Fp8Quantization(
            q.String("quant_method"),
            q.String("fmt", "e4m3"),
            q.String("activation_scheme", "dynamic"),
            q.IsAbsent("scale_fmt") ? null : q.String("scale_fmt"),
            block);
    }
}
