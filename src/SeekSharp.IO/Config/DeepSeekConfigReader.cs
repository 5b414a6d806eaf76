using System.Text.Json;

namespace SeekSharp.IO.Config;

/// <summary>Reads and validates config.json; every rejection names the key at fault.</summary>
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
                throw new CheckpointFormatException(source, null, "config must be a JSON object");
            var r = new Keys(doc.RootElement, source);
            var modelType = r.String("model_type");
            if (modelType is not ("deepseek_v32" or "deepseek_v3"))
                r.Fail("model_type", $"'{modelType}' is not supported (expected deepseek_v32 or deepseek_v3)");
            var isV32 = modelType == "deepseek_v32";
            if (r.Has("q_lora_rank") && r.IsNull("q_lora_rank"))
                r.Fail("q_lora_rank", "null (no query LoRA) is not supported; DeepSeek-V3/V3.2 use a q LoRA");

            var config = new DeepSeekConfig
            {
                ModelType = modelType,
                VocabSize = r.Positive("vocab_size"),
                HiddenSize = r.Positive("hidden_size"),
                IntermediateSize = r.Positive("intermediate_size"),
                MoeIntermediateSize = r.Positive("moe_intermediate_size"),
                NumHiddenLayers = r.Positive("num_hidden_layers"),
                FirstKDenseReplace = r.NonNegative("first_k_dense_replace"),
                MoeLayerFreq = r.Has("moe_layer_freq") ? r.Positive("moe_layer_freq") : 1,
                NumAttentionHeads = r.Positive("num_attention_heads"),
                NRoutedExperts = r.Positive("n_routed_experts"),
                NSharedExperts = r.NonNegative("n_shared_experts"),
                NumExpertsPerTok = r.Positive("num_experts_per_tok"),
                NGroup = r.Positive("n_group"),
                TopkGroup = r.Positive("topk_group"),
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
                RopeScaling = ReadYarn(r),
                MaxPositionEmbeddings = r.Positive("max_position_embeddings"),
                NumNextnPredictLayers = r.Has("num_nextn_predict_layers") ? r.NonNegative("num_nextn_predict_layers") : 0,
                BosTokenId = r.Has("bos_token_id") && !r.IsNull("bos_token_id") ? r.NonNegative("bos_token_id") : 0,
                EosTokenIds = ReadEos(r),
                Quantization = ReadQuantization(r),
                TorchDtype = r.Has("torch_dtype") ? r.String("torch_dtype") : null,
            };

            Check(r, config);
            return config;
        }
    }

    private static void Check(Keys r, DeepSeekConfig c)
    {
        if (r.Has("hidden_act") && r.String("hidden_act") != "silu") r.Fail("hidden_act", $"'{r.String("hidden_act")}' is not supported (only silu)");
        if (r.Has("scoring_func") && r.String("scoring_func") != "sigmoid") r.Fail("scoring_func", $"'{r.String("scoring_func")}' is not supported (only sigmoid)");
        if (r.Has("topk_method") && r.String("topk_method") != "noaux_tc") r.Fail("topk_method", $"'{r.String("topk_method")}' is not supported (only noaux_tc)");
        if (r.Has("tie_word_embeddings") && r.Bool("tie_word_embeddings")) r.Fail("tie_word_embeddings", "tied embeddings are not supported (DeepSeek checkpoints are untied)");
        if (r.Has("num_key_value_heads") && r.Positive("num_key_value_heads") != c.NumAttentionHeads)
            r.Fail("num_key_value_heads", $"must equal num_attention_heads ({c.NumAttentionHeads}) for MLA");
        if (c.NRoutedExperts % c.NGroup != 0) r.Fail("n_group", $"{c.NGroup} does not divide n_routed_experts {c.NRoutedExperts}");
        if (c.TopkGroup > c.NGroup) r.Fail("topk_group", $"{c.TopkGroup} exceeds n_group {c.NGroup}");
        if (c.NumExpertsPerTok > c.TopkGroup * (c.NRoutedExperts / c.NGroup))
            r.Fail("num_experts_per_tok", $"{c.NumExpertsPerTok} exceeds the experts in the kept groups ({c.TopkGroup} × {c.NRoutedExperts / c.NGroup})");
        if (c.QkRopeHeadDim % 2 != 0) r.Fail("qk_rope_head_dim", "must be even (RoPE rotates pairs)");
        if (c.HasIndexer && c.IndexHeadDim < c.QkRopeHeadDim) r.Fail("index_head_dim", $"{c.IndexHeadDim} is smaller than the rotary part qk_rope_head_dim {c.QkRopeHeadDim}");
        if (c.HasIndexer && (c.IndexHeadDim & (c.IndexHeadDim - 1)) != 0) r.Fail("index_head_dim", $"{c.IndexHeadDim} must be a power of two (Hadamard rotation)");
        if (c.FirstKDenseReplace > c.NumHiddenLayers) r.Fail("first_k_dense_replace", $"{c.FirstKDenseReplace} exceeds num_hidden_layers {c.NumHiddenLayers}");
    }

    private static YarnScaling? ReadYarn(Keys r)
    {
        if (!r.Has("rope_scaling") || r.IsNull("rope_scaling")) return null;
        var y = r.Object("rope_scaling");
        var type = y.Has("type") ? y.String("type") : y.Has("rope_type") ? y.String("rope_type") : null;
        if (type != "yarn") y.Fail(y.Has("type") ? "type" : "rope_type", $"'{type}' is not supported (only yarn)");
        return new YarnScaling(
            y.PositiveNumber("factor"),
            y.Positive("original_max_position_embeddings"),
            y.Has("beta_fast") ? y.PositiveNumber("beta_fast") : 32,
            y.Has("beta_slow") ? y.PositiveNumber("beta_slow") : 1,
            y.Has("mscale") ? y.Number("mscale") : 1,
            y.Has("mscale_all_dim") ? y.Number("mscale_all_dim") : 1);
    }

    private static IReadOnlyList<int> ReadEos(Keys r)
    {
        if (!r.Has("eos_token_id") || r.IsNull("eos_token_id")) return [1];
        var e = r.Element("eos_token_id");
        if (e.ValueKind == JsonValueKind.Array)
            return e.EnumerateArray().Select((v, i) => v.TryGetInt32(out var id) && id >= 0 ? id : throw r.Error("eos_token_id", $"element {i} is not a token id")).ToArray();
        return [r.NonNegative("eos_token_id")];
    }

    private static Fp8Quantization? ReadQuantization(Keys r)
    {
        if (!r.Has("quantization_config") || r.IsNull("quantization_config")) return null;
        var q = r.Object("quantization_config");
        if (q.String("quant_method") != "fp8") q.Fail("quant_method", $"'{q.String("quant_method")}' is not supported (only fp8)");
        if (q.Has("fmt") && q.String("fmt") != "e4m3") q.Fail("fmt", $"'{q.String("fmt")}' is not supported (only e4m3)");
        if (q.Has("activation_scheme") && q.String("activation_scheme") != "dynamic") q.Fail("activation_scheme", $"'{q.String("activation_scheme")}' is not supported (only dynamic)");
        string? scaleFmt = q.Has("scale_fmt") && !q.IsNull("scale_fmt") ? q.String("scale_fmt") : null;
        if (scaleFmt is not (null or "ue8m0")) q.Fail("scale_fmt", $"'{scaleFmt}' is not supported (null or ue8m0)");
        var block = q.Element("weight_block_size");
        if (block.ValueKind != JsonValueKind.Array || block.GetArrayLength() != 2
            || block[0].ValueKind != JsonValueKind.Number || block[1].ValueKind != JsonValueKind.Number
            || block[0].GetDouble() != 128 || block[1].GetDouble() != 128)
            q.Fail("weight_block_size", $"{block.GetRawText()} is not supported (only [128, 128])");
        return new Fp8Quantization(scaleFmt, 128, 128);
    }
}
