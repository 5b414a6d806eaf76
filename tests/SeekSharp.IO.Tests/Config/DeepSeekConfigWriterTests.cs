using System.Text.Json;
using System.Text.Json.Nodes;
using SeekSharp.IO.Config;

namespace SeekSharp.IO.Tests.Config;

/// <summary>Writing config.json: HF key names and values, round trips, and refusing configs the reader would reject.</summary>
public sealed class DeepSeekConfigWriterTests
{
    [Theory]
    [InlineData("tiny-bf16")]
    [InlineData("tiny-fp8")]
    public void RoundTripsTheGoldenConfigs(string model)
    {
        var config = DeepSeekConfig.Load(GoldenConfigJson.Path(model));

        var again = DeepSeekConfig.Parse(DeepSeekConfigWriter.ToJson(config), "written");

        AssertSameConfig(config, again);
    }

    [Fact]
    public void RoundTripsEveryOptionalShape()
    {
        var config = DeepSeekConfig.Load(GoldenConfigJson.Path("tiny-fp8")) with
        {
            EosTokenIds = [1, 5],
            RopeScaling = null,
            TorchDtype = null,
            Quantization = Fp8Quantization.DeepSeek(scaleFmt: null),
            MoeLayerFreq = 2,
            NumNextnPredictLayers = 1,
            RmsNormEps = 1e-5,
        };

        AssertSameConfig(config, DeepSeekConfig.Parse(config.ToJson(), "written"));

        var v3 = config with { ModelType = "deepseek_v3", IndexNHeads = 0, IndexHeadDim = 0, IndexTopk = 0 };
        var text = v3.ToJson();
        Assert.DoesNotContain("index_", text);
        Assert.Contains("DeepseekV3ForCausalLM", text);
        AssertSameConfig(v3, DeepSeekConfig.Parse(text, "written"));
    }

    [Theory]
    [InlineData("tiny-bf16")]
    [InlineData("tiny-fp8")]
    public void WritesHfKeyNamesWithTheGoldenValues(string model)
    {
        var golden = GoldenConfigJson.Object(model);
        var written = JsonNode.Parse(DeepSeekConfig.Load(GoldenConfigJson.Path(model)).ToJson())!.AsObject();

        foreach (var (key, value) in written)
        {
            Assert.True(golden.ContainsKey(key), $"'{key}' is not a key of the HF config.json");
            Assert.True(SameJson(golden[key], value), $"'{key}': wrote {value?.ToJsonString()}, golden {golden[key]?.ToJsonString()}");
        }
        // every key the golden file has that changes the model is written
        string[] informational = ["attention_bias", "attention_dropout", "ep_size", "initializer_range", "use_cache"];
        Assert.Empty(golden.Select(p => p.Key).Except(written.Select(p => p.Key)).Except(informational));
        Assert.Equal(written.Select(p => p.Key).Order(StringComparer.Ordinal), written.Select(p => p.Key));
    }

    [Fact]
    public void SaveWritesAFileLoadReadsBack()
    {
        var config = DeepSeekConfig.Load(GoldenConfigJson.Path("tiny-fp8"));
        var path = Path.Combine(Path.GetTempPath(), $"seeksharp-config-{Guid.NewGuid():N}.json");
        try
        {
            config.Save(path);
            AssertSameConfig(config, DeepSeekConfig.Load(path));
            Assert.NotEqual(0xEF, File.ReadAllBytes(path)[0]);   // no UTF-8 BOM
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RefusesToWriteAConfigTheReaderWouldReject()
    {
        var config = DeepSeekConfig.Load(GoldenConfigJson.Path("tiny-bf16"));

        Assert.Equal("scoring_func", Assert.Throws<CheckpointFormatException>(() => (config with { ScoringFunc = "softmax" }).ToJson()).Item);
        Assert.Equal("n_group", Assert.Throws<CheckpointFormatException>(() => (config with { NGroup = 3 }).ToJson()).Item);
    }

    /// <summary>Record equality, with the eos list compared by content.</summary>
    private static void AssertSameConfig(DeepSeekConfig expected, DeepSeekConfig actual)
    {
        Assert.Equal(expected.EosTokenIds, actual.EosTokenIds);
        Assert.Equal(expected, actual with { EosTokenIds = expected.EosTokenIds });
    }

    /// <summary>JSON equality with numbers compared by value (4 == 4.0, 1e-06 == 1E-06).</summary>
    private static bool SameJson(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.GetValueKind() == JsonValueKind.Number && b.GetValueKind() == JsonValueKind.Number)
            return a.GetValue<double>() == b.GetValue<double>();
        if (a is JsonObject oa && b is JsonObject ob)
            return oa.Count == ob.Count && oa.All(p => ob.ContainsKey(p.Key) && SameJson(p.Value, ob[p.Key]));
        if (a is JsonArray xa && b is JsonArray xb)
            return xa.Count == xb.Count && xa.Zip(xb).All(p => SameJson(p.First, p.Second));
        return JsonNode.DeepEquals(a, b);
    }
}
