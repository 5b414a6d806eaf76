using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SeekSharp.IO.Config;

/// <summary>
/// Writes a config in the Hugging Face config.json shape: the HF snake_case key of every <see cref="DeepSeekConfig"/> property
/// plus `architectures`, keys sorted (as HF's save_pretrained does). Reading the text back gives an equal config.
/// </summary>
public static class DeepSeekConfigWriter
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <exception cref="CheckpointFormatException">The config breaks a rule the reader enforces (it could not be read back).</exception>
    public static string ToJson(DeepSeekConfig config)
    {
        DeepSeekConfigRules.Validate(config, "config to write");
        var keys = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["architectures"] = new JsonArray(config.HasIndexer ? "DeepseekV32ForCausalLM" : "DeepseekV3ForCausalLM"),
            ["model_type"] = config.ModelType,
            ["vocab_size"] = config.VocabSize,
            ["hidden_size"] = config.HiddenSize,
            ["intermediate_size"] = config.IntermediateSize,
            ["moe_intermediate_size"] = config.MoeIntermediateSize,
            ["num_hidden_layers"] = config.NumHiddenLayers,
            ["first_k_dense_replace"] = config.FirstKDenseReplace,
            ["moe_layer_freq"] = config.MoeLayerFreq,
            ["num_attention_heads"] = config.NumAttentionHeads,
            ["num_key_value_heads"] = config.NumKeyValueHeads,
            ["n_routed_experts"] = config.NRoutedExperts,
            ["n_shared_experts"] = config.NSharedExperts,
            ["num_experts_per_tok"] = config.NumExpertsPerTok,
            ["n_group"] = config.NGroup,
            ["topk_group"] = config.TopkGroup,
            ["scoring_func"] = config.ScoringFunc,
            ["topk_method"] = config.TopkMethod,
            ["norm_topk_prob"] = config.NormTopkProb,
            ["routed_scaling_factor"] = config.RoutedScalingFactor,
            ["q_lora_rank"] = config.QLoraRank,
            ["kv_lora_rank"] = config.KvLoraRank,
            ["qk_nope_head_dim"] = config.QkNopeHeadDim,
            ["qk_rope_head_dim"] = config.QkRopeHeadDim,
            ["v_head_dim"] = config.VHeadDim,
            ["rms_norm_eps"] = config.RmsNormEps,
            ["rope_theta"] = config.RopeTheta,
            ["max_position_embeddings"] = config.MaxPositionEmbeddings,
            ["num_nextn_predict_layers"] = config.NumNextnPredictLayers,
            ["tie_word_embeddings"] = config.TieWordEmbeddings,
            ["hidden_act"] = config.HiddenAct,
            ["bos_token_id"] = config.BosTokenId,
            // HF writes a single id as a plain int
            ["eos_token_id"] = config.EosTokenIds.Count == 1 ? config.EosTokenIds[0] : new JsonArray([.. config.EosTokenIds.Select(id => JsonValue.Create(id))]),
        };
        if (config.HasIndexer)
        {
            keys["index_n_heads"] = config.IndexNHeads;
            keys["index_head_dim"] = config.IndexHeadDim;
            keys["index_topk"] = config.IndexTopk;
        }
        if (config.RopeScaling is { } y) keys["rope_scaling"] = Yarn(y);
        if (config.Quantization is { } q) keys["quantization_config"] = Fp8(q);
        if (config.TorchDtype is not null) keys["torch_dtype"] = config.TorchDtype;

        var root = new JsonObject();
        foreach (var (key, value) in keys) root[key] = value;
        return root.ToJsonString(s_indented) + "\n";
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> (UTF-8, no BOM).</summary>
    public static void Save(DeepSeekConfig config, string path) =>
        File.WriteAllText(path, ToJson(config), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    private static JsonObject Yarn(YarnScaling y) => new()
    {
        ["beta_fast"] = y.BetaFast,
        ["beta_slow"] = y.BetaSlow,
        ["factor"] = y.Factor,
        ["mscale"] = y.Mscale,
        ["mscale_all_dim"] = y.MscaleAllDim,
        ["original_max_position_embeddings"] = y.OriginalMaxPositionEmbeddings,
        ["type"] = y.Type,
    };

    private static JsonObject Fp8(Fp8Quantization q) => new()
    {
        ["activation_scheme"] = q.ActivationScheme,
        ["fmt"] = q.Fmt,
        ["quant_method"] = q.QuantMethod,
        ["scale_fmt"] = q.ScaleFmt,
        ["weight_block_size"] = new JsonArray(q.WeightBlockSize.Rows, q.WeightBlockSize.Cols),
    };
}
