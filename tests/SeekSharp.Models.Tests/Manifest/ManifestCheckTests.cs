using System.Diagnostics;
using System.Text.Json;
using SeekSharp.Core;
using SeekSharp.IO;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.DeepSeekV32.Manifest;
using SeekSharp.Testing;

namespace SeekSharp.Models.Tests.Manifest;

public sealed class ManifestCheckTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tiny-bf16")]
    [InlineData("tiny-fp8")]
    public void ExpectedTensorsAreExactlyTheGoldenCheckpoint(string name)
    {
        var dir = SharedData.GoldenModel(name);
        var config = DeepSeekConfig.Load(Path.Combine(dir, "config.json"));
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "model.safetensors.index.json")));
        var names = index.RootElement.GetProperty("weight_map").EnumerateObject().Select(p => p.Name).ToHashSet();

        var expected = WeightManifest.Expected(config);
        var expectedNames = expected.Select(e => e.Name).Concat(expected.Where(e => e.ScaleName is not null).Select(e => e.ScaleName!)).ToHashSet();
        Assert.Equal(names.Order(), expectedNames.Order());

        using var checkpoint = SafetensorsCheckpoint.Open(dir);
        var report = ManifestCheck.Compare(config, checkpoint.ReadAllHeaders());
        Assert.True(report.Ok, report.Describe());
        Assert.True(ManifestCheck.CompareNames(config, names).Ok);
    }

    [Fact]
    public void RealV32CheckpointProblemsAreAllReportedAtOnceAndFast()
    {
        var config = DeepSeekConfig.Parse(RealV32ConfigJson, "config_671B.json");
        var expected = WeightManifest.Expected(config);
        var actual = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var e in expected)
        {
            actual[e.Name] = Info(e.Name, e.AllowedDTypes[0], e.Shape);
            if (e.ScaleName is not null) actual[e.ScaleName] = Info(e.ScaleName, DType.F32, e.ScaleShape!);
        }
        actual["model.layers.61.embed_tokens.weight"] = Info("model.layers.61.embed_tokens.weight", DType.BF16, [129280, 7168]); // MTP: allowed
        Assert.True(ManifestCheck.Compare(config, actual).Ok);

        actual.Remove("model.layers.40.mlp.experts.200.down_proj.weight");
        actual["model.layers.7.self_attn.kv_a_proj_with_mqa.weight"] = Info("x", DType.F8E4M3, [512, 7168]);
        actual["model.layers.3.self_attn.indexer.weights_proj.weight"] = Info("x", DType.F8E4M3, [64, 7168]);
        actual["model.layers.9.mlp.experts.256.up_proj.weight"] = Info("x", DType.F8E4M3, [2048, 7168]);
        var clock = Stopwatch.StartNew();
        var report = ManifestCheck.Compare(config, actual);   // derives the manifest again, then compares
        var elapsed = clock.Elapsed;

        output.WriteLine($"{expected.Count} expected tensors, {report.ParameterCount:N0} parameters; manifest + compare in {elapsed.TotalMilliseconds:F0} ms");
        output.WriteLine(report.Describe());
        Assert.Equal(4, report.Problems.Count);
        Assert.Contains(report.Problems, p => p.Kind == ManifestProblemKind.Missing && p.Tensor == "model.layers.40.mlp.experts.200.down_proj.weight");
        Assert.Contains(report.Problems, p => p.Kind == ManifestProblemKind.WrongShape && p.Tensor == "model.layers.7.self_attn.kv_a_proj_with_mqa.weight");
        Assert.Contains(report.Problems, p => p.Kind == ManifestProblemKind.WrongDType && p.Tensor == "model.layers.3.self_attn.indexer.weights_proj.weight");
        Assert.Contains(report.Problems, p => p.Kind == ManifestProblemKind.UnexpectedTensor && p.Tensor == "model.layers.9.mlp.experts.256.up_proj.weight");
        Assert.InRange(report.ParameterCount, 670_000_000_000L, 673_000_000_000L);   // spec §1.1: ≈ 671.9B main model
        var thrown = Assert.Throws<CheckpointFormatException>(() => report.ThrowIfFailed("/models/v32"));
        Assert.Contains("4 manifest problem(s)", thrown.Message);
        Assert.Equal(5 * 56, expected.Single(t => t.Name == "model.layers.0.self_attn.kv_a_proj_with_mqa.weight").ScaleShape!.Aggregate(1L, (a, b) => a * b));
    }

    [Fact]
    public void KvCacheBytesPerTokenMatchesTheSpec()
    {
        var config = DeepSeekConfig.Parse(RealV32ConfigJson, "c");
        Assert.Equal(61L * (576 * 2 + 128 + 4), WeightManifest.KvCacheBytesPerToken(config));   // spec §1.13: 1284 B per layer
    }

    private static TensorInfo Info(string name, DType dtype, long[] shape) =>
        new(name, dtype, shape, "model-00001-of-000163.safetensors", 0, shape.Aggregate(1L, (a, b) => a * b) * dtype.SizeOf());

    /// <summary>The HF config.json of DeepSeek-V3.2 (spec §2.2).</summary>
    public const string RealV32ConfigJson = """
        {"architectures": ["DeepseekV32ForCausalLM"], "model_type": "deepseek_v32", "attention_bias": false,
         "bos_token_id": 0, "eos_token_id": 1, "ep_size": 1, "first_k_dense_replace": 3, "hidden_act": "silu",
         "hidden_size": 7168, "index_head_dim": 128, "index_n_heads": 64, "index_topk": 2048, "intermediate_size": 18432,
         "kv_lora_rank": 512, "max_position_embeddings": 163840, "moe_intermediate_size": 2048, "moe_layer_freq": 1,
         "n_group": 8, "n_routed_experts": 256, "n_shared_experts": 1, "norm_topk_prob": true, "num_attention_heads": 128,
         "num_experts_per_tok": 8, "num_hidden_layers": 61, "num_key_value_heads": 128, "num_nextn_predict_layers": 1,
         "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
         "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "scale_fmt": "ue8m0", "weight_block_size": [128, 128]},
         "rms_norm_eps": 1e-06, "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
         "original_max_position_embeddings": 4096, "type": "yarn"}, "rope_theta": 10000, "routed_scaling_factor": 2.5,
         "scoring_func": "sigmoid", "tie_word_embeddings": false, "topk_group": 4, "topk_method": "noaux_tc",
         "torch_dtype": "bfloat16", "transformers_version": "4.44.2", "use_cache": true, "v_head_dim": 128, "vocab_size": 129280}
        """;
}
