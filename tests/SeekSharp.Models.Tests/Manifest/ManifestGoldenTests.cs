using SeekSharp.Core;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Manifest;
using SeekSharp.Testing;

namespace SeekSharp.Models.Tests.Manifest;

/// <summary>The manifest derived from the golden tiny configs against the golden checkpoints' index and headers.</summary>
public sealed class ManifestGoldenTests
{
    private static string Dir(string model) => SharedData.GoldenModel(model);

    private static DeepSeekConfig Config(string model) => DeepSeekConfig.Load(Path.Combine(Dir(model), "config.json"));

    private static Dictionary<string, SeekSharp.IO.Safetensors.TensorInfo> Header(string model) =>
        HeaderOnlySafetensors.ReadHeader(Path.Combine(Dir(model), "model.safetensors"));

    [Theory]
    [InlineData("tiny-bf16", false)]
    [InlineData("tiny-fp8", true)]
    public void ExpectedNamesAreExactlyTheGoldenIndex(string model, bool fp8)
    {
        var expected = WeightManifest.Expected(Config(model));
        var scales = expected.Where(e => e.ScaleName is not null).Select(e => e.ScaleName!).ToList();
        var names = expected.Select(e => e.Name).Concat(scales).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(HeaderOnlySafetensors.IndexNames(Dir(model)).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Equal(fp8, scales.Count > 0);
    }

    [Theory]
    [InlineData("tiny-bf16")]
    [InlineData("tiny-fp8")]
    public void ExpectedShapesAndDTypesMatchTheGoldenHeaders(string model)
    {
        var config = Config(model);
        var header = Header(model);

        var report = ManifestCheck.Compare(config, header);

        Assert.True(report.Ok, report.Describe());
        Assert.Equal("manifest OK", report.Describe());
        var weightElements = header.Values.Where(t => !t.Name.EndsWith("_scale_inv", StringComparison.Ordinal)).Sum(t => t.ElementCount);
        Assert.Equal(weightElements, report.ParameterCount);
        // the first allowed dtype is the one DeepSeek ships, and the golden files follow the real layout
        foreach (var e in WeightManifest.Expected(config))
        {
            Assert.Equal(e.AllowedDTypes[0], header[e.Name].DType);
            if (e.ScaleName is not null) Assert.Equal(e.ScaleShape, header[e.ScaleName].Shape);
        }
        report.ThrowIfFailed(Dir(model));
    }

    [Theory]
    [InlineData("tiny-bf16")]
    [InlineData("tiny-fp8")]
    public void IndexOnlyCheckPassesOnTheGoldenIndex(string model)
    {
        var report = ManifestCheck.Compare(Config(model), HeaderOnlySafetensors.IndexNames(Dir(model)));

        Assert.True(report.Ok, report.Describe());
        Assert.Equal(ManifestCheck.Compare(Config(model), Header(model)).ParameterCount, report.ParameterCount);
    }

    [Fact]
    public void ABf16ConfigOnTheFp8CheckpointFlagsEveryQuantisedWeightAndScale()
    {
        var header = Header("tiny-fp8");
        var fp8Weights = header.Values.Where(t => t.DType == DType.F8E4M3).Select(t => t.Name).ToHashSet();

        var report = ManifestCheck.Compare(Config("tiny-bf16"), header);

        var wrongDType = report.Problems.Where(p => p.Kind == ManifestProblemKinds.WrongDType).Select(p => p.Tensor);
        var unexpected = report.Problems.Where(p => p.Kind == ManifestProblemKinds.UnexpectedTensor).Select(p => p.Tensor);
        Assert.Equal(fp8Weights.Order(StringComparer.Ordinal), wrongDType.Order(StringComparer.Ordinal));
        Assert.Equal(fp8Weights.Select(n => n + "_scale_inv").Order(StringComparer.Ordinal), unexpected);
        Assert.Equal(2 * fp8Weights.Count, report.Problems.Count);
        Assert.Contains("expected BF16|F16|F32, found F8_E4M3 in model.safetensors", report.Problems[0].Detail);
    }

    [Fact]
    public void AnFp8ConfigOnTheBf16CheckpointMissesEveryScale()
    {
        var report = ManifestCheck.Compare(Config("tiny-fp8"), Header("tiny-bf16"));

        var quantised = WeightManifest.Expected(Config("tiny-fp8")).Where(e => e.ScaleName is not null).ToList();
        Assert.Equal(quantised.Select(e => e.ScaleName), report.Problems.Where(p => p.Kind == ManifestProblemKinds.MissingScale).Select(p => p.Tensor));
        Assert.Equal(quantised.Select(e => e.Name), report.Problems.Where(p => p.Kind == ManifestProblemKinds.WrongDType).Select(p => p.Tensor));
        Assert.Equal(2 * quantised.Count, report.Problems.Count);
    }

    [Fact]
    public void ADeepSeekV3ConfigExpectsNoIndexerAndFlagsTheGoldenIndexerTensors()
    {
        var v3 = Config("tiny-fp8") with { ModelType = "deepseek_v3", IndexNHeads = 0, IndexHeadDim = 0, IndexTopk = 0 };

        Assert.DoesNotContain(WeightManifest.Expected(v3), e => e.Name.Contains(".indexer.", StringComparison.Ordinal));
        var report = ManifestCheck.Compare(v3, Header("tiny-fp8"));
        // per layer: wq_b, wk (+ their scales), k_norm weight and bias, weights_proj
        Assert.Equal(3 * 7, report.Problems.Count);
        Assert.All(report.Problems, p =>
        {
            Assert.Equal(ManifestProblemKinds.UnexpectedTensor, p.Kind);
            Assert.Contains(".self_attn.indexer.", p.Tensor);
        });
    }

    [Fact]
    public void ThrowIfFailedListsTheFirstFiftyProblemsAndCountsTheRest()
    {
        var config = Config("tiny-bf16");
        var report = ManifestCheck.Compare(config, new Dictionary<string, SeekSharp.IO.Safetensors.TensorInfo>());
        var expected = WeightManifest.Expected(config);
        Assert.Equal(expected.Select(e => e.Name), report.Problems.Select(p => p.Tensor));
        Assert.All(report.Problems, p => Assert.Equal(ManifestProblemKinds.Missing, p.Kind));

        var e = Assert.Throws<SeekSharp.IO.CheckpointFormatException>(() => report.ThrowIfFailed("/ckpt"));

        Assert.Equal("/ckpt", e.File);
        Assert.StartsWith($"/ckpt: {expected.Count} manifest problem(s):", e.Message);
        Assert.Contains($"Missing: {expected[49].Name}: expected [", e.Message);
        Assert.DoesNotContain($"{expected[50].Name}:", e.Message);
        Assert.EndsWith($"... and {expected.Count - 50} more", e.Message);
    }
}
