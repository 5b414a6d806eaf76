using SeekSharp.IO.Config;

namespace SeekSharp.IO.Tests.Config;

/// <summary>Every rule of the reader: the golden tiny-fp8 config with one key changed is rejected, naming that key.</summary>
public sealed class DeepSeekConfigRejectionTests
{
    [Theory]
    // model type and required keys
    [InlineData("model_type", "\"llama\"", "model_type", "not supported")]
    [InlineData("model_type", null, "model_type", "missing")]
    [InlineData("vocab_size", null, "vocab_size", "missing")]
    [InlineData("kv_lora_rank", null, "kv_lora_rank", "missing")]
    [InlineData("norm_topk_prob", null, "norm_topk_prob", "missing")]
    [InlineData("index_topk", null, "index_topk", "missing")]
    // JSON types and sizes
    [InlineData("hidden_size", "\"256\"", "hidden_size", "integer")]
    [InlineData("hidden_size", "2.5", "hidden_size", "integer")]
    [InlineData("hidden_size", "1e12", "hidden_size", "integer")]
    [InlineData("hidden_size", "0", "hidden_size", "positive")]
    [InlineData("num_hidden_layers", "-3", "num_hidden_layers", "positive")]
    [InlineData("n_shared_experts", "0", "n_shared_experts", "positive")]
    [InlineData("first_k_dense_replace", "-1", "first_k_dense_replace", "negative")]
    [InlineData("rms_norm_eps", "\"1e-6\"", "rms_norm_eps", "number")]
    [InlineData("routed_scaling_factor", "0", "routed_scaling_factor", "positive")]
    [InlineData("norm_topk_prob", "1", "norm_topk_prob", "true or false")]
    [InlineData("eos_token_id", "[1, \"x\"]", "eos_token_id[1]", "integer")]
    [InlineData("q_lora_rank", "null", "q_lora_rank", "not supported")]
    // unsupported variants
    [InlineData("hidden_act", "\"gelu\"", "hidden_act", "not supported")]
    [InlineData("scoring_func", "\"softmax\"", "scoring_func", "not supported")]
    [InlineData("topk_method", "\"greedy\"", "topk_method", "not supported")]
    [InlineData("topk_method", "\"group_limited_greedy\"", "topk_method", "not supported")]
    [InlineData("tie_word_embeddings", "true", "tie_word_embeddings", "not supported")]
    // consistency between keys (tiny: 8 experts in 4 groups, keep 2 groups, 2 per token; 4 heads; rope 64)
    [InlineData("n_group", "3", "n_group", "does not divide")]
    [InlineData("topk_group", "5", "topk_group", "exceeds n_group")]
    [InlineData("num_experts_per_tok", "9", "num_experts_per_tok", "exceeds n_routed_experts")]
    [InlineData("num_experts_per_tok", "5", "num_experts_per_tok", "kept groups")]
    [InlineData("num_key_value_heads", "1", "num_key_value_heads", "must equal num_attention_heads")]
    [InlineData("qk_rope_head_dim", "63", "qk_rope_head_dim", "even")]
    [InlineData("index_head_dim", "32", "index_head_dim", "smaller than qk_rope_head_dim")]
    [InlineData("index_head_dim", "96", "index_head_dim", "power of two")]
    [InlineData("index_topk", "0", "index_topk", "positive")]
    [InlineData("index_n_heads", "-8", "index_n_heads", "positive")]
    [InlineData("first_k_dense_replace", "4", "first_k_dense_replace", "exceeds num_hidden_layers")]
    // rope_scaling
    [InlineData("rope_scaling", "\"yarn\"", "rope_scaling", "object")]
    [InlineData("rope_scaling.type", "\"linear\"", "rope_scaling.type", "not supported")]
    [InlineData("rope_scaling.factor", null, "rope_scaling.factor", "missing")]
    [InlineData("rope_scaling.factor", "-4", "rope_scaling.factor", "positive")]
    [InlineData("rope_scaling.mscale_all_dim", null, "rope_scaling.mscale_all_dim", "missing")]
    [InlineData("rope_scaling.original_max_position_embeddings", "64.5", "rope_scaling.original_max_position_embeddings", "integer")]
    // quantization_config
    [InlineData("quantization_config.quant_method", "\"awq\"", "quantization_config.quant_method", "not supported")]
    [InlineData("quantization_config.quant_method", null, "quantization_config.quant_method", "missing")]
    [InlineData("quantization_config.fmt", "\"e5m2\"", "quantization_config.fmt", "not supported")]
    [InlineData("quantization_config.activation_scheme", "\"static\"", "quantization_config.activation_scheme", "not supported")]
    [InlineData("quantization_config.scale_fmt", "\"e8m0x\"", "quantization_config.scale_fmt", "not supported")]
    [InlineData("quantization_config.weight_block_size", "[64, 64]", "quantization_config.weight_block_size", "not supported")]
    [InlineData("quantization_config.weight_block_size", "[128, 128, 1]", "quantization_config.weight_block_size", "two integers")]
    [InlineData("quantization_config.weight_block_size", "[128, \"128\"]", "quantization_config.weight_block_size[1]", "integer")]
    public void RejectsTheKeyNamingIt(string key, string? valueJson, string named, string problem)
    {
        var json = GoldenConfigJson.With(key, valueJson);

        var e = Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Parse(json, "/models/x/config.json"));

        Assert.Equal(named, e.Item);
        Assert.Equal("/models/x/config.json", e.File);
        Assert.Contains(problem, e.Problem);
        Assert.Contains($"'{named}'", e.Message);
        Assert.StartsWith("/models/x/config.json", e.Message);
    }

    [Fact]
    public void RejectsTheOtherRopeTypeSpelling()
    {
        var node = GoldenConfigJson.Object();
        var yarn = node["rope_scaling"]!.AsObject();
        yarn.Remove("type");
        yarn["rope_type"] = "dynamic";

        var e = Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Parse(node.ToJsonString(), "c"));

        Assert.Equal("rope_scaling.rope_type", e.Item);
        Assert.Contains("'dynamic' is not supported", e.Message);
    }

    [Theory]
    [InlineData("{\"model_type\": ")]
    [InlineData("not json")]
    public void RejectsInvalidJson(string text)
    {
        var e = Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Parse(text, "config.json"));

        Assert.Null(e.Item);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void RejectsANonObjectDocumentAndAMissingFile()
    {
        Assert.Contains("JSON object", Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Parse("[1, 2]", "c")).Message);

        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "config.json");
        Assert.Equal(missing, Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Load(missing)).File);
    }

    [Fact]
    public void ADeepSeekV3ConfigIgnoresIndexerRules()
    {
        // index_head_dim 32 would break the indexer rule, but deepseek_v3 has no indexer
        var json = GoldenConfigJson.With("index_head_dim", "32").Replace("\"deepseek_v32\"", "\"deepseek_v3\"");

        Assert.False(DeepSeekConfig.Parse(json, "c").HasIndexer);
    }
}
