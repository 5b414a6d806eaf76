using System.Diagnostics;
using SeekSharp.Core;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.DeepSeekV32.Manifest;

namespace SeekSharp.Models.Tests.Manifest;

/// <summary>The manifest of the real DeepSeek-V3.2 config against the tensor inventory and sizes of spec §1.1, §1.13, §2.3.</summary>
public sealed class ManifestRealConfigTests
{
    [Fact]
    public void TensorCountsAreThoseOfTheSpecInventory()
    {
        var expected = WeightManifest.Expected(RealV32Config.Parse());

        static int Files(IEnumerable<ExpectedTensor> tensors) => tensors.Sum(e => e.ScaleName is null ? 1 : 2);
        Assert.Equal(90854, Files(expected));   // spec §2.3: main model 90854 tensors
        Assert.Equal(27, Files(expected.Where(e => e.Name.StartsWith("model.layers.0.", StringComparison.Ordinal))));
        Assert.Equal(1565, Files(expected.Where(e => e.Name.StartsWith("model.layers.60.", StringComparison.Ordinal))));
        Assert.DoesNotContain(expected, e => e.Name.StartsWith("model.layers.61.", StringComparison.Ordinal));
    }

    [Theory]
    // spec §2.3: name (layer 3 is the first MoE layer), shape, scale shape (null = not quantised)
    [InlineData("model.embed_tokens.weight", new long[] { 129280, 7168 }, null)]
    [InlineData("lm_head.weight", new long[] { 129280, 7168 }, null)]
    [InlineData("model.norm.weight", new long[] { 7168 }, null)]
    [InlineData("model.layers.3.input_layernorm.weight", new long[] { 7168 }, null)]
    [InlineData("model.layers.3.self_attn.q_a_proj.weight", new long[] { 1536, 7168 }, new long[] { 12, 56 })]
    [InlineData("model.layers.3.self_attn.q_a_layernorm.weight", new long[] { 1536 }, null)]
    [InlineData("model.layers.3.self_attn.q_b_proj.weight", new long[] { 24576, 1536 }, new long[] { 192, 12 })]
    [InlineData("model.layers.3.self_attn.kv_a_proj_with_mqa.weight", new long[] { 576, 7168 }, new long[] { 5, 56 })]
    [InlineData("model.layers.3.self_attn.kv_a_layernorm.weight", new long[] { 512 }, null)]
    [InlineData("model.layers.3.self_attn.kv_b_proj.weight", new long[] { 32768, 512 }, new long[] { 256, 4 })]
    [InlineData("model.layers.3.self_attn.o_proj.weight", new long[] { 7168, 16384 }, new long[] { 56, 128 })]
    [InlineData("model.layers.3.self_attn.indexer.wq_b.weight", new long[] { 8192, 1536 }, new long[] { 64, 12 })]
    [InlineData("model.layers.3.self_attn.indexer.wk.weight", new long[] { 128, 7168 }, new long[] { 1, 56 })]
    [InlineData("model.layers.3.self_attn.indexer.k_norm.bias", new long[] { 128 }, null)]
    [InlineData("model.layers.3.self_attn.indexer.weights_proj.weight", new long[] { 64, 7168 }, null)]
    [InlineData("model.layers.2.mlp.gate_proj.weight", new long[] { 18432, 7168 }, new long[] { 144, 56 })]
    [InlineData("model.layers.2.mlp.down_proj.weight", new long[] { 7168, 18432 }, new long[] { 56, 144 })]
    [InlineData("model.layers.3.mlp.gate.weight", new long[] { 256, 7168 }, null)]
    [InlineData("model.layers.3.mlp.gate.e_score_correction_bias", new long[] { 256 }, null)]
    [InlineData("model.layers.3.mlp.experts.255.up_proj.weight", new long[] { 2048, 7168 }, new long[] { 16, 56 })]
    [InlineData("model.layers.3.mlp.experts.0.down_proj.weight", new long[] { 7168, 2048 }, new long[] { 56, 16 })]
    [InlineData("model.layers.60.mlp.shared_experts.gate_proj.weight", new long[] { 2048, 7168 }, new long[] { 16, 56 })]
    public void ShapesAndScaleShapesAreThoseOfTheSpecInventory(string name, long[] shape, long[]? scaleShape)
    {
        var tensor = WeightManifest.Expected(RealV32Config.Parse()).Single(e => e.Name == name);

        Assert.Equal(shape, tensor.Shape);
        Assert.Equal(scaleShape, tensor.ScaleShape);
        if (scaleShape is null)
        {
            Assert.Null(tensor.ScaleName);
            Assert.DoesNotContain(DType.F8E4M3, tensor.AllowedDTypes);
        }
        else
        {
            Assert.Equal(name[..^".weight".Length] + ".weight_scale_inv", tensor.ScaleName);
            Assert.Equal([DType.F8E4M3], tensor.AllowedDTypes);
        }
    }

    [Fact]
    public void ParameterCountsMatchTheSpecDerivedSizes()
    {
        var expected = WeightManifest.Expected(RealV32Config.Parse());
        long Sum(Func<string, bool> select) => expected.Where(e => select(e.Name)).Sum(e => e.ElementCount);

        // spec §1.1 "Derived sizes": MLA 187.1M, indexer 13.96M, dense FFN 396.4M, MoE layer 11.32B, total ≈ 671.9B
        Assert.Equal(187.1, Math.Round(Sum(n => n.StartsWith("model.layers.0.self_attn.", StringComparison.Ordinal) && !n.Contains("indexer")) / 1e6, 1));
        Assert.Equal(13.96, Math.Round(Sum(n => n.StartsWith("model.layers.0.self_attn.indexer.", StringComparison.Ordinal)) / 1e6, 2));
        Assert.Equal(396.4, Math.Round(Sum(n => n.StartsWith("model.layers.0.mlp.", StringComparison.Ordinal)) / 1e6, 1));
        Assert.Equal(11.32, Math.Round(Sum(n => n.StartsWith("model.layers.3.mlp.", StringComparison.Ordinal)) / 1e9, 2));
        Assert.Equal(671.9, Math.Round(expected.Sum(e => e.ElementCount) / 1e9, 1));
    }

    [Fact]
    public void AllProblemsOfTheFullCheckpointAreReportedAtOnce()
    {
        var config = RealV32Config.Parse();
        var actual = SyntheticHeaders(WeightManifest.Expected(config));
        const string Mtp = "model.layers.61.eh_proj.weight";
        actual[Mtp] = Info(Mtp, DType.BF16, [7168, 14336]);   // the MTP layer is allowed
        Assert.True(ManifestCheck.Compare(config, actual).Ok);

        const string Missing = "model.layers.40.mlp.experts.200.down_proj.weight";
        const string Reshaped = "model.layers.7.self_attn.kv_a_proj_with_mqa.weight";
        const string Retyped = "model.layers.3.self_attn.indexer.weights_proj.weight";
        const string Extra = "model.layers.9.mlp.experts.256.up_proj.weight";
        actual.Remove(Missing);
        actual[Reshaped] = Info(Reshaped, DType.F8E4M3, [512, 7168]);
        actual[Retyped] = Info(Retyped, DType.F8E4M3, [64, 7168]);
        actual[Extra] = Info(Extra, DType.F8E4M3, [2048, 7168]);

        var clock = Stopwatch.StartNew();
        var expected = WeightManifest.Expected(config);
        var manifestTime = clock.Elapsed;
        var report = ManifestCheck.Compare(config, actual);   // derives the manifest again, then compares
        var total = clock.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{actual.Count} tensors: Expected() {manifestTime.TotalMilliseconds:F0} ms, Compare() (derives its own manifest) {(total - manifestTime).TotalMilliseconds:F0} ms");
        TestContext.Current.TestOutputHelper?.WriteLine(report.Describe());

        (string, string)[] problems =
        [
            (Missing, ManifestProblemKinds.Missing), (Reshaped, ManifestProblemKinds.WrongShape),
            (Retyped, ManifestProblemKinds.WrongDType), (Extra, ManifestProblemKinds.UnexpectedTensor),
        ];
        Assert.Equal(problems.Order(), report.Problems.Select(p => (p.Tensor, p.Kind)).Order());
        Assert.Contains("expected [576, 7168], found [512, 7168]", report.Problems.Single(p => p.Tensor == Reshaped).Detail);
        Assert.Equal(expected.Sum(e => e.ElementCount), report.ParameterCount);
    }

    [Fact]
    public void ScaleProblemsAreReportedAgainstTheScale()
    {
        var config = RealV32Config.Parse();
        var actual = SyntheticHeaders(WeightManifest.Expected(config));
        const string Dropped = "model.layers.5.self_attn.q_b_proj.weight_scale_inv";
        const string Reshaped = "model.layers.5.self_attn.kv_a_proj_with_mqa.weight_scale_inv";
        const string Retyped = "model.layers.5.mlp.shared_experts.down_proj.weight_scale_inv";
        actual.Remove(Dropped);
        actual[Reshaped] = Info(Reshaped, DType.F32, [4, 56]);   // 576 rows need 5 row blocks, not 4
        actual[Retyped] = Info(Retyped, DType.BF16, [56, 16]);

        var report = ManifestCheck.Compare(config, actual);

        (string, string)[] problems =
        [
            (Reshaped, ManifestProblemKinds.WrongScaleShape), (Dropped, ManifestProblemKinds.MissingScale),
            (Retyped, ManifestProblemKinds.WrongDType),
        ];
        Assert.Equal(problems.Order(), report.Problems.Select(p => (p.Tensor, p.Kind)).Order());
        Assert.Contains("expected [5, 56]", report.Problems.Single(p => p.Tensor == Reshaped).Detail);
    }

    [Fact]
    public void IndexOnlyCheckReportsPresenceAndUnexpectedNames()
    {
        var config = RealV32Config.Parse();
        var expected = WeightManifest.Expected(config);
        var names = expected.Select(e => e.Name).Concat(expected.Where(e => e.ScaleName is not null).Select(e => e.ScaleName!)).ToHashSet();
        names.Add("model.layers.61.shared_head.head.weight");   // MTP: allowed
        Assert.True(ManifestCheck.Compare(config, names).Ok);

        names.Remove("model.layers.0.self_attn.o_proj.weight");
        names.Remove("model.layers.4.mlp.experts.3.gate_proj.weight_scale_inv");
        names.Add("model.layers.2.mlp.gate.weight");   // a router in a dense layer
        var report = ManifestCheck.Compare(config, (IReadOnlyCollection<string>)names.ToList());

        Assert.Equal(
            [("model.layers.0.self_attn.o_proj.weight", ManifestProblemKinds.Missing),
             ("model.layers.4.mlp.experts.3.gate_proj.weight_scale_inv", ManifestProblemKinds.MissingScale),
             ("model.layers.2.mlp.gate.weight", ManifestProblemKinds.UnexpectedTensor)],
            report.Problems.Select(p => (p.Tensor, p.Kind)));
    }

    [Fact]
    public void KvCacheBytesPerTokenAreThoseOfSpec113()
    {
        var v32 = RealV32Config.Parse();
        Assert.Equal(1284, WeightManifest.KvCacheBytesPerTokenPerLayer(v32));   // 576 × 2 + 128 + 4
        Assert.Equal(61 * 1284, WeightManifest.KvCacheBytesPerToken(v32));

        var v3 = RealV32Config.ParseAsV3();
        Assert.False(v3.HasIndexer);
        Assert.Equal(1152, WeightManifest.KvCacheBytesPerTokenPerLayer(v3));
        Assert.DoesNotContain(WeightManifest.Expected(v3), e => e.Name.Contains(".indexer.", StringComparison.Ordinal));
    }

    /// <summary>A header for every expected tensor and scale, with the dtype DeepSeek ships.</summary>
    private static Dictionary<string, TensorInfo> SyntheticHeaders(IReadOnlyList<ExpectedTensor> expected)
    {
        var actual = new Dictionary<string, TensorInfo>(expected.Count * 2, StringComparer.Ordinal);
        foreach (var e in expected)
        {
            actual[e.Name] = Info(e.Name, e.AllowedDTypes[0], e.Shape);
            if (e.ScaleName is not null) actual[e.ScaleName] = Info(e.ScaleName, DType.F32, e.ScaleShape!);
        }
        return actual;
    }

    private static TensorInfo Info(string name, DType dtype, long[] shape) =>
        new(name, dtype, shape, "/ckpt/model-00001-of-000163.safetensors", 0, shape.Aggregate(1L, (a, b) => a * b) * dtype.SizeOf());
}
