using System.Text.Json;
using SeekSharp.Core;
using SeekSharp.IO.Safetensors;
using SeekSharp.Testing;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>The shared tiny DeepSeek-V3.2 checkpoints and golden outputs, read through the public API. Expected
/// shapes come from each folder's config.json and the facts stated in golden/model/README.md.</summary>
public sealed class GoldenCheckpointTests
{
    private const string KvA = "model.layers.0.self_attn.kv_a_proj_with_mqa.weight";

    public static TheoryData<string> Models() => new("tiny-bf16", "tiny-fp8");

    [Theory]
    [MemberData(nameof(Models))]
    public void IndexMapsEveryTensorToTheSingleShard(string model)
    {
        var folder = SharedData.GoldenModel(model);
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        var shard = Path.Combine(folder, "model.safetensors");

        Assert.NotNull(checkpoint.Index);
        Assert.Equal([shard], checkpoint.ShardPaths);
        Assert.All(checkpoint.WeightMap.Values, p => Assert.Equal(shard, p));

        var all = checkpoint.AllTensors().ToList();
        Assert.Equal(checkpoint.WeightMap.Count, all.Count);
        Assert.Equal(checkpoint.WeightMap.Keys.Order(), all.Select(t => t.Name).Order());
        Assert.Equal(checkpoint.Index!.TotalSize, all.Sum(t => t.ByteLength));   // HF total_size = all tensor bytes
        Assert.Equal(all, checkpoint.ReadAllHeaders().Values);

        using var file = SafetensorsFile.Open(shard);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(file.Tensors.Count, all.Count);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ShapesFollowTheConfig(string model)
    {
        using var config = ReadJson(model, "config.json");
        var c = config.RootElement;
        long Int(string key) => c.GetProperty(key).GetInt64();
        var hidden = Int("hidden_size");

        using var checkpoint = SafetensorsCheckpoint.Open(SharedData.GoldenModel(model));
        Assert.Equal([Int("vocab_size"), hidden], checkpoint.GetInfo("model.embed_tokens.weight").Shape);
        Assert.Equal([Int("vocab_size"), hidden], checkpoint.GetInfo("lm_head.weight").Shape);
        Assert.Equal([hidden], checkpoint.GetInfo("model.norm.weight").Shape);
        Assert.Equal([Int("kv_lora_rank") + Int("qk_rope_head_dim"), hidden], checkpoint.GetInfo(KvA).Shape);
        Assert.Equal([Int("n_routed_experts")], checkpoint.GetInfo("model.layers.1.mlp.gate.e_score_correction_bias").Shape);
        Assert.Equal(DType.F32, checkpoint.GetInfo("model.layers.1.mlp.gate.e_score_correction_bias").DType);
        for (var layer = 0; layer < Int("num_hidden_layers"); layer++)
            Assert.True(checkpoint.Contains($"model.layers.{layer}.input_layernorm.weight"));
        Assert.False(checkpoint.Contains($"model.layers.{Int("num_hidden_layers")}.input_layernorm.weight"));
    }

    [Fact]
    public void Fp8WeightsCarryBlockScales()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(SharedData.GoldenModel("tiny-fp8"));
        var kvA = checkpoint.GetInfo(KvA);
        Assert.Equal(DType.F8E4M3, kvA.DType);
        Assert.Equal([192L, 256L], kvA.Shape);
        Assert.Equal(192 * 256, checkpoint.GetBytes(KvA).Length);
        var kvAScale = checkpoint.GetInfo(KvA + "_scale_inv");
        Assert.Equal(DType.F32, kvAScale.DType);
        Assert.Equal([2L, 2L], kvAScale.Shape);

        var fp8 = checkpoint.AllTensors().Where(t => t.DType == DType.F8E4M3).ToList();
        Assert.NotEmpty(fp8);
        foreach (var weight in fp8)
        {
            var scale = checkpoint.GetInfo(weight.Name + "_scale_inv");
            Assert.Equal(DType.F32, scale.DType);
            Assert.Equal([(weight.Shape[0] + 127) / 128, (weight.Shape[1] + 127) / 128], scale.Shape);
            foreach (var s in checkpoint.GetSpan<float>(scale.Name))
                Assert.True(s > 0 && float.IsPow2(s), $"{scale.Name}: scale {s} is not a positive power of two");
        }
    }

    [Fact]
    public void UnquantisedTensorsAreBitIdenticalAcrossTheTwoCheckpoints()
    {
        using var bf16 = SafetensorsCheckpoint.Open(SharedData.GoldenModel("tiny-bf16"));
        using var fp8 = SafetensorsCheckpoint.Open(SharedData.GoldenModel("tiny-fp8"));
        Assert.Equal(DType.BF16, bf16.GetInfo(KvA).DType);

        var shared = fp8.AllTensors().Where(t => t.DType == DType.BF16).ToList();
        Assert.Contains(shared, t => t.Name == "model.embed_tokens.weight");
        foreach (var tensor in shared)
        {
            Assert.Equal(tensor.Shape, bf16.GetInfo(tensor.Name).Shape);
            Assert.True(fp8.GetBytes(tensor.Name).SequenceEqual(bf16.GetBytes(tensor.Name)), tensor.Name);
        }
    }

    [Fact]
    public void NormWeightsDecodeNearOne()
    {
        // README: norms are initialised to 1 + 0.05·N(0,1).
        using var checkpoint = SafetensorsCheckpoint.Open(SharedData.GoldenModel("tiny-bf16"));
        var norm = checkpoint.GetSpan<ushort>("model.norm.weight");   // [256] bf16
        Assert.Equal(256, norm.Length);
        foreach (var bits in norm)
        {
            var value = BitConverter.Int32BitsToSingle(bits << 16);
            Assert.InRange(value, 0.6f, 1.4f);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void GoldenOutputsMatchTheTokenFile(string model)
    {
        using var tokens = ReadJson(model, "tokens.json");
        using var config = ReadJson(model, "config.json");
        var vocab = config.RootElement.GetProperty("vocab_size").GetInt32();
        var nGen = tokens.RootElement.GetProperty("n_gen").GetInt32();

        using var golden = SafetensorsFile.Open(Path.Combine(SharedData.GoldenModel(model), "golden_ref.safetensors"));
        Assert.StartsWith("dsref", golden.Metadata["impl"]);
        foreach (var prompt in new[] { "A", "B" })
        {
            var length = tokens.RootElement.GetProperty("prompts").GetProperty(prompt).GetArrayLength();
            var logits = golden.GetInfo($"{prompt}.prefill.logits");
            Assert.Equal(DType.F32, logits.DType);
            Assert.Equal([length, vocab], logits.Shape);
            Assert.All(golden.GetSpan<float>(logits.Name).ToArray(), v => Assert.True(float.IsFinite(v)));

            var generated = golden.GetSpan<int>($"{prompt}.gen.tokens");
            Assert.Equal(nGen, generated.Length);
            Assert.All(generated.ToArray(), t => Assert.InRange(t, 0, vocab - 1));
            Assert.All(golden.GetSpan<int>($"{prompt}.prefill.topk").ToArray(), p => Assert.InRange(p, -1, length - 1));
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryGoldenFileLoadsCompletely(string model)
    {
        var files = Directory.GetFiles(SharedData.GoldenModel(model), "*.safetensors");
        Assert.Equal(5, files.Length);
        foreach (var path in files)
        {
            using var file = SafetensorsFile.Open(path);
            long total = 0;
            foreach (var name in file.Tensors.Keys) total += file.GetBytes(name).Length;
            Assert.Equal(new FileInfo(path).Length - file.Header.DataStart, total);
        }
    }

    private static JsonDocument ReadJson(string model, string file) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SharedData.GoldenModel(model), file)));
}
