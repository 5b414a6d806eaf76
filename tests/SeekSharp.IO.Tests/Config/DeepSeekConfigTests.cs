using System.Text.Json.Nodes;
using SeekSharp.IO;
using SeekSharp.IO.Config;
using SeekSharp.Testing;

namespace SeekSharp.IO.Tests.Config;

public sealed class DeepSeekConfigTests
{
    private static string TinyJson(string name = "tiny-fp8") => File.ReadAllText(Path.Combine(SharedData.GoldenModel(name), "config.json"));

    [Fact]
    public void ReadsTheGoldenTinyConfigs()
    {
        var bf16 = DeepSeekConfig.Load(Path.Combine(SharedData.GoldenModel("tiny-bf16"), "config.json"));
        Assert.Equal("deepseek_v32", bf16.ModelType);
        Assert.Equal(256, bf16.HiddenSize);
        Assert.Equal(3, bf16.NumHiddenLayers);
        Assert.Equal(1, bf16.FirstKDenseReplace);
        Assert.Equal(32, bf16.IndexTopk);
        Assert.Equal(8, bf16.IndexNHeads);
        Assert.Equal(4.0, bf16.RopeScaling!.Factor);
        Assert.Equal(64, bf16.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.Null(bf16.Quantization);
        Assert.False(bf16.IsMoeLayer(0));
        Assert.True(bf16.IsMoeLayer(1) && bf16.IsMoeLayer(2));
        Assert.True(bf16.HasIndexer);

        var fp8 = DeepSeekConfig.Parse(TinyJson(), "tiny-fp8");
        Assert.Equal("ue8m0", fp8.Quantization!.ScaleFmt);
        Assert.True(fp8.IsFp8);
    }

    [Fact]
    public void RoundTripsThroughItsOwnJson()
    {
        var config = DeepSeekConfig.Parse(TinyJson(), "tiny-fp8");
        Assert.Equal(config with { }, DeepSeekConfig.Parse(config.ToJson(), "round trip"), new ConfigComparer());
    }

    [Fact]
    public void DeepSeekV3HasNoIndexer()
    {
        var node = JsonNode.Parse(TinyJson())!.AsObject();
        node["model_type"] = "deepseek_v3";
        node.Remove("index_n_heads");
        node.Remove("index_head_dim");
        node.Remove("index_topk");
        var config = DeepSeekConfig.Parse(node.ToJsonString(), "v3");
        Assert.False(config.HasIndexer);
    }

    [Theory]
    [InlineData("model_type", "\"llama\"", "model_type")]
    [InlineData("hidden_size", "\"256\"", "hidden_size")]
    [InlineData("hidden_size", "-1", "hidden_size")]
    [InlineData("hidden_size", "2.5", "hidden_size")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act")]
    [InlineData("scoring_func", "\"softmax\"", "scoring_func")]
    [InlineData("topk_method", "\"greedy\"", "topk_method")]
    [InlineData("n_group", "3", "n_group")]
    [InlineData("topk_group", "5", "topk_group")]
    [InlineData("num_experts_per_tok", "5", "num_experts_per_tok")]
    [InlineData("num_key_value_heads", "1", "num_key_value_heads")]
    [InlineData("qk_rope_head_dim", "63", "qk_rope_head_dim")]
    [InlineData("index_head_dim", "32", "index_head_dim")]
    [InlineData("first_k_dense_replace", "9", "first_k_dense_replace")]
    [InlineData("tie_word_embeddings", "true", "tie_word_embeddings")]
    [InlineData("q_lora_rank", "null", "q_lora_rank")]
    [InlineData("rope_scaling", "{\"type\": \"linear\", \"factor\": 2}", "rope_scaling.type")]
    [InlineData("quantization_config", "{\"quant_method\": \"fp8\", \"fmt\": \"e5m2\", \"weight_block_size\": [128, 128]}", "quantization_config.fmt")]
    [InlineData("quantization_config", "{\"quant_method\": \"fp8\", \"weight_block_size\": [64, 64]}", "quantization_config.weight_block_size")]
    [InlineData("quantization_config", "{\"quant_method\": \"fp8\", \"scale_fmt\": \"e8m0x\", \"weight_block_size\": [128, 128]}", "quantization_config.scale_fmt")]
    [InlineData("quantization_config", "{\"quant_method\": \"awq\", \"weight_block_size\": [128, 128]}", "quantization_config.quant_method")]
    public void RejectsUnsupportedOrInconsistentValuesNamingTheKey(string key, string json, string named)
    {
        var node = JsonNode.Parse(TinyJson())!.AsObject();
        node[key] = JsonNode.Parse(json);
        var e = Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Parse(node.ToJsonString(), "config.json"));
        Assert.Equal(named, e.Item);
        Assert.Contains($"'{named}'", e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void RejectsMissingKeysAndInvalidJson()
    {
        var node = JsonNode.Parse(TinyJson())!.AsObject();
        node.Remove("kv_lora_rank");
        Assert.Equal("kv_lora_rank", Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Parse(node.ToJsonString(), "c")).Item);
        Assert.Contains("not valid JSON", Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Parse("{\"a\": ", "c")).Message);
        Assert.Throws<CheckpointFormatException>(() => DeepSeekConfig.Parse("[1, 2]", "c"));
    }

    /// <summary>Records with list members compare those by content.</summary>
    private sealed class ConfigComparer : IEqualityComparer<DeepSeekConfig>
    {
        public bool Equals(DeepSeekConfig? a, DeepSeekConfig? b) =>
            a is not null && b is not null && a.EosTokenIds.SequenceEqual(b.EosTokenIds) && (a with { EosTokenIds = [] }) == (b with { EosTokenIds = [] });

        public int GetHashCode(DeepSeekConfig c) => c.HiddenSize;
    }
}
