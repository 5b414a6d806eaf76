using System.Text.Json.Nodes;
using SeekSharp.IO.Config;

namespace SeekSharp.IO.Tests.Config;

/// <summary>Reading config.json: the golden tiny configs (values from golden/model/README.md §1) and accepted variations.</summary>
public sealed class DeepSeekConfigTests
{
    [Fact]
    public void ReadsTheTinyBf16Config()
    {
        var c = DeepSeekConfig.Load(GoldenConfigJson.Path("tiny-bf16"));

        Assert.Equal("deepseek_v32", c.ModelType);
        Assert.Equal((256, 1024, 3), (c.HiddenSize, c.VocabSize, c.NumHiddenLayers));
        Assert.Equal((1, 1), (c.FirstKDenseReplace, c.MoeLayerFreq));
        Assert.Equal((4, 4, 128, 128), (c.NumAttentionHeads, c.NumKeyValueHeads, c.QLoraRank, c.KvLoraRank));
        Assert.Equal((64, 64, 64), (c.QkNopeHeadDim, c.QkRopeHeadDim, c.VHeadDim));
        Assert.Equal((512, 128), (c.IntermediateSize, c.MoeIntermediateSize));
        Assert.Equal((8, 1, 2), (c.NRoutedExperts, c.NSharedExperts, c.NumExpertsPerTok));
        Assert.Equal((4, 2, 2.5), (c.NGroup, c.TopkGroup, c.RoutedScalingFactor));
        Assert.Equal((8, 128, 32), (c.IndexNHeads, c.IndexHeadDim, c.IndexTopk));
        Assert.Equal(new YarnScaling("yarn", 4.0, 64, 32, 1, 1.0, 1.0), c.RopeScaling);
        Assert.Equal((10000.0, 256), (c.RopeTheta, c.MaxPositionEmbeddings));
        Assert.Equal((1e-6, "sigmoid", "noaux_tc", true), (c.RmsNormEps, c.ScoringFunc, c.TopkMethod, c.NormTopkProb));
        Assert.Equal((0, false, "silu"), (c.NumNextnPredictLayers, c.TieWordEmbeddings, c.HiddenAct));
        Assert.Equal(0, c.BosTokenId);
        Assert.Equal([1], c.EosTokenIds);
        Assert.Equal("bfloat16", c.TorchDtype);
        Assert.Null(c.Quantization);
        Assert.False(c.IsFp8);

        Assert.True(c.HasIndexer);
        Assert.Equal(128, c.QkHeadDim);
        Assert.Equal([false, true, true], Enumerable.Range(0, 3).Select(c.IsMoeLayer));
    }

    [Fact]
    public void ReadsTheTinyFp8QuantizationConfig()
    {
        var c = DeepSeekConfig.Load(GoldenConfigJson.Path("tiny-fp8"));

        Assert.True(c.IsFp8);
        Assert.Equal(new Fp8Quantization("fp8", "e4m3", "dynamic", "ue8m0", new BlockSize(128, 128)), c.Quantization);
        // everything else is the bf16 model's config
        var bf16 = DeepSeekConfig.Load(GoldenConfigJson.Path("tiny-bf16"));
        Assert.Equal(bf16 with { EosTokenIds = c.EosTokenIds }, c with { Quantization = null });
    }

    [Fact]
    public void MoeLayerFrequencyAndDenseLeadSelectMoeLayers()
    {
        var c = DeepSeekConfig.Parse(GoldenConfigJson.With("num_hidden_layers", "8"), "c") with { FirstKDenseReplace = 3, MoeLayerFreq = 2 };

        Assert.Equal([4, 6], Enumerable.Range(0, 8).Where(c.IsMoeLayer));
    }

    [Fact]
    public void DeepSeekV3HasNoIndexer()
    {
        var node = GoldenConfigJson.Object();
        node["model_type"] = "deepseek_v3";
        foreach (var key in (string[])["index_n_heads", "index_head_dim", "index_topk"]) node.Remove(key);

        var c = DeepSeekConfig.Parse(node.ToJsonString(), "v3");

        Assert.False(c.HasIndexer);
        Assert.Equal((0, 0, 0), (c.IndexNHeads, c.IndexHeadDim, c.IndexTopk));
    }

    [Fact]
    public void AcceptsIntegralFloatsForIntegerKeys()
    {
        var c = DeepSeekConfig.Parse(GoldenConfigJson.With("hidden_size", "256.0"), "c");

        Assert.Equal(256, c.HiddenSize);
    }

    [Fact]
    public void AcceptsTheRopeTypeSpellingAndNullRopeScaling()
    {
        var node = GoldenConfigJson.Object();
        var yarn = node["rope_scaling"]!.AsObject();
        yarn.Remove("type");
        yarn["rope_type"] = "yarn";
        Assert.Equal("yarn", DeepSeekConfig.Parse(node.ToJsonString(), "c").RopeScaling!.Type);

        Assert.Null(DeepSeekConfig.Parse(GoldenConfigJson.With("rope_scaling", "null"), "c").RopeScaling);
    }

    [Fact]
    public void ReadsAnEosListAndANullScaleFormat()
    {
        Assert.Equal([1, 7], DeepSeekConfig.Parse(GoldenConfigJson.With("eos_token_id", "[1, 7]"), "c").EosTokenIds);
        Assert.Null(DeepSeekConfig.Parse(GoldenConfigJson.With("quantization_config.scale_fmt", "null"), "c").Quantization!.ScaleFmt);
        Assert.Null(DeepSeekConfig.Parse(GoldenConfigJson.With("quantization_config.scale_fmt", null), "c").Quantization!.ScaleFmt);
    }

    [Fact]
    public void IgnoresUnknownKeys()
    {
        var node = GoldenConfigJson.Object();
        node["some_future_key"] = new JsonObject { ["nested"] = new JsonArray(1, 2) };
        node["architectures"] = new JsonArray("SomethingElse");

        Assert.Equal(256, DeepSeekConfig.Parse(node.ToJsonString(), "c").HiddenSize);
    }

    [Fact]
    public void SingleValuedKeysTakeHfDefaultsWhenAbsent()
    {
        var node = GoldenConfigJson.Object();
        string[] optional = ["hidden_act", "scoring_func", "topk_method", "num_key_value_heads", "moe_layer_freq",
            "tie_word_embeddings", "num_nextn_predict_layers", "bos_token_id", "eos_token_id", "torch_dtype"];
        foreach (var key in optional) Assert.True(node.Remove(key), key);

        var c = DeepSeekConfig.Parse(node.ToJsonString(), "c");

        Assert.Equal(("silu", "sigmoid", "noaux_tc"), (c.HiddenAct, c.ScoringFunc, c.TopkMethod));
        Assert.Equal((4, 1, false, 0, 0), (c.NumKeyValueHeads, c.MoeLayerFreq, c.TieWordEmbeddings, c.NumNextnPredictLayers, c.BosTokenId));
        Assert.Equal([1], c.EosTokenIds);
        Assert.Null(c.TorchDtype);
    }
}
