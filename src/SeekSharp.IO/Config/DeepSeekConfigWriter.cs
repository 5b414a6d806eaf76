using System.Text.Json;
using System.Text.Json.Nodes;

namespace SeekSharp.IO.Config;

/// <summary>Writes a config back in the Hugging Face config.json shape (what our checkpoint writer emits).</summary>
internal static class DeepSeekConfigWriter
{
    public static string ToJson(DeepSeekConfig c)
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(c.HasIndexer ? "DeepseekV32ForCausalLM" : "DeepseekV3ForCausalLM"),
            ["model_type"] = c.ModelType,
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["moe_intermediate_size"] = c.MoeIntermediateSize,
            ["num_hidden_layers"] = c.NumHiddenLayers,
            ["first_k_dense_replace"] = c.FirstKDenseReplace,
            ["moe_layer_freq"] = c.MoeLayerFreq,
            ["num_attention_heads"] = c.NumAttentionHeads,
            ["num_key_value_heads"] = c.NumAttentionHeads,
            ["n_routed_experts"] = c.NRoutedExperts,
            ["n_shared_experts"] = c.NSharedExperts,
            ["num_experts_per_tok"] = c.NumExpertsPerTok,
            ["n_group"] = c.NGroup,
            ["topk_group"] = c.TopkGroup,
            ["norm_topk_prob"] = c.NormTopkProb,
            ["routed_scaling_factor"] = c.RoutedScalingFactor,
            ["scoring_func"] = "sigmoid",
            ["topk_method"] = "noaux_tc",
            ["q_lora_rank"] = c.QLoraRank,
            ["kv_lora_rank"] = c.KvLoraRank,
            ["qk_nope_head_dim"] = c.QkNopeHeadDim,
            ["qk_rope_head_dim"] = c.QkRopeHeadDim,
            ["v_head_dim"] = c.VHeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["num_nextn_predict_layers"] = c.NumNextnPredictLayers,
            ["tie_word_embeddings"] = false,
            ["bos_token_id"] = c.BosTokenId,
            ["eos_token_id"] = c.EosTokenIds.Count == 1 ? JsonValue.Create(c.EosTokenIds[0]) : new JsonArray(c.EosTokenIds.Select(i => (JsonNode?)i).ToArray()),
        };
        if (c.HasIndexer)
        {
            o["index_n_heads"] = c.IndexNHeads;
            o["index_head_dim"] = c.IndexHeadDim;
            o["index_topk"] = c.IndexTopk;
        }
        if (c.RopeScaling is { } y)
        {
            o["rope_scaling"] = new JsonObject
            {
                ["type"] = "yarn",
                ["factor"] = y.Factor,
                ["original_max_position_embeddings"] = y.OriginalMaxPositionEmbeddings,
                ["beta_fast"] = y.BetaFast,
                ["beta_slow"] = y.BetaSlow,
                ["mscale"] = y.Mscale,
                ["mscale_all_dim"] = y.MscaleAllDim,
            };
        }
        if (c.Quantization is { } q)
        {
            o["quantization_config"] = new JsonObject
            {
                ["quant_method"] = "fp8",
                ["fmt"] = "e4m3",
                ["activation_scheme"] = "dynamic",
                ["scale_fmt"] = q.ScaleFmt,
                ["weight_block_size"] = new JsonArray(q.BlockRows, q.BlockCols),
            };
        }
        if (c.TorchDtype is not null) o["torch_dtype"] = c.TorchDtype;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
