using SeekSharp.Core.Backend;
using SeekSharp.Cpu;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.DeepSeekV32.Synthetic;
using SeekSharp.Models.Reference;
using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>
/// The optimised model (SIMD backend, FP8 kept as FP8) against the independent single-file fp32 oracle,
/// with the same forced decisions: two implementations of the reference semantics must agree far more
/// tightly than either agrees with the GPU golden. Also on a checkpoint neither golden file covers.
/// </summary>
public sealed class OracleCrossCheckTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("seek-oracle-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("tiny-bf16")]
    [InlineData("tiny-fp8")]
    public void OptimisedModelMatchesOracleOnGoldenCheckpoints(string name)
    {
        var golden = new GoldenModelData(name);
        var tokens = golden.Prompts["A"];
        using var checkpoint = SafetensorsCheckpoint.Open(golden.Directory);
        var config = DeepSeekConfig.Load(Path.Combine(golden.Directory, "config.json"));
        using var backend = new CpuBackend();
        using var model = DeepSeekV32Model.Load(golden.Directory, backend);
        var forced = model.NewDecisionLog();
        GoldenModelData.Load(forced, golden.Ints("A.prefill.topk"), 0, golden.Ints("A.prefill.routing"), 0);

        var oracle = new ReferenceForward(config, checkpoint).Forward(tokens, 0, new ReferenceForward(config, checkpoint).NewCache(), forced);
        var ours = model.Forward(tokens, model.NewCache(), allRows: true, forced);

        var cmp = Agreement.Of(oracle, ours, config.VocabSize);
        output.WriteLine($"{name} A forced prefill, optimised vs oracle: {cmp}");
        Assert.True(cmp.Mean < 0.01 && cmp.ArgmaxAgreement >= 0.97, cmp.ToString());
        golden.Dispose();
    }

    [Fact]
    public void OptimisedModelMatchesOracleOnAnUnseenFp8CheckpointThroughTheDecodePath()
    {
        // other dimensions than the golden files: 2 dense layers, 3 MoE layers, 16 experts in 8 groups, top-k 16
        var json = SyntheticConfigs.Demo
            .Replace("\"num_hidden_layers\": 4", "\"num_hidden_layers\": 5").Replace("\"first_k_dense_replace\": 1", "\"first_k_dense_replace\": 2")
            .Replace("\"n_routed_experts\": 8", "\"n_routed_experts\": 16").Replace("\"n_group\": 4", "\"n_group\": 8")
            .Replace("\"index_topk\": 32", "\"index_topk\": 16").Replace("\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 3");
        var config = DeepSeekConfig.Parse(json, "unseen");
        RandomCheckpointWriter.Write(_folder, config, seed: 11, maxShardBytes: 2 << 20);
        using var checkpoint = SafetensorsCheckpoint.Open(_folder);
        using var backend = new CpuBackend();
        using var model = DeepSeekV32Model.Load(_folder, backend);
        var tokens = Enumerable.Range(0, 48).Select(i => i == 0 ? 0 : 2 + (i * 131) % 1000).ToArray();

        // the optimised model's own decisions (decode path: prefill 20, then single steps), then the oracle forced to them
        var record = model.NewDecisionLog();
        var cache = model.NewCache();
        var ours = new List<float>(model.Forward(tokens.AsSpan(0, 20), cache, allRows: true, record: record));
        for (var i = 20; i < tokens.Length; i++) ours.AddRange(model.Forward(tokens.AsSpan(i, 1), cache, record: record));

        var reference = new ReferenceForward(config, checkpoint);
        var oracleCache = reference.NewCache();
        var oracle = new List<float>(reference.Forward(tokens.AsSpan(0, 20), 0, oracleCache, record));
        for (var i = 20; i < tokens.Length; i++) oracle.AddRange(reference.Forward(tokens.AsSpan(i, 1), i, oracleCache, record));

        var cmp = Agreement.Of(oracle.ToArray(), ours.ToArray(), config.VocabSize);
        output.WriteLine($"unseen fp8 checkpoint, decode path, optimised vs oracle: {cmp}");
        Assert.True(cmp.Mean < 0.01 && cmp.ArgmaxAgreement >= 0.95, cmp.ToString());
    }
}
