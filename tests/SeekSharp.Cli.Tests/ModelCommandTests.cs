using System.Diagnostics;
using System.Text.Json;
using SeekSharp.IO.Npy;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.Decisions;
using SeekSharp.Testing;

namespace SeekSharp.Cli.Tests;

/// <summary>The model verbs run as a user runs them: the real `seek` process on real checkpoint folders.</summary>
public sealed class ModelCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("seek-model-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ScoreWithReplayedGoldenDecisionsReproducesReferenceLogits()
    {
        var model = SharedData.GoldenModel("tiny-bf16");
        var (tokens, topk, routing, expected) = Golden(model, "B", "prefill");
        var replay = Path.Combine(_folder, "replay.safetensors");
        WriteDecisions(replay, tokens.Length, topk, routing);
        var npy = Path.Combine(_folder, "logits.npy");

        var (exit, _, stderr) = SeekProcess.Run("score", "--model", model, "--ids", string.Join(' ', tokens), "--logits-out", npy, "--replay", replay);

        Assert.True(exit == 0, stderr);
        var (logits, shape) = NpyFile.ReadFloat32(npy);
        Assert.Equal([tokens.Length, 1024L], shape);
        var max = logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"seek score --replay vs golden B prefill: max|Δ| {max:F4}");
        Assert.True(max < 0.35, $"max|Δ| {max}");
    }

    [Fact]
    public void ScoreDecodeFromRecordsDecisionsAndReplaysThemExactly()
    {
        var model = SharedData.GoldenModel("tiny-bf16");
        var tokens = Golden(model, "B", "prefill").Tokens;
        var record = Path.Combine(_folder, "record.safetensors");
        var first = Path.Combine(_folder, "first.npy");
        var second = Path.Combine(_folder, "second.npy");

        var run1 = SeekProcess.Run("score", "--model", model, "--ids", string.Join(' ', tokens), "--logits-out", first, "--decode-from", "8", "--record", record);
        Assert.True(run1.Exit == 0, run1.Stderr);
        var run2 = SeekProcess.Run("score", "--model", model, "--ids", string.Join(' ', tokens), "--logits-out", second, "--decode-from", "8", "--replay", record);
        Assert.True(run2.Exit == 0, run2.Stderr);

        var (a, shape) = NpyFile.ReadFloat32(first);
        Assert.Equal([tokens.Length - 8 + 1, 1024L], shape);
        Assert.Equal(a, NpyFile.ReadFloat32(second).Data);
        using var file = SafetensorsFile.Open(record);
        Assert.Equal([tokens.Length, 3L, 32L], file.GetInfo(DecisionLogFile.TopkTensor).Shape);
        Assert.Equal([tokens.Length, 2L, 2L], file.GetInfo(DecisionLogFile.RoutingTensor).Shape);
    }

    [Fact]
    public void InspectReportsTheGoldenCheckpointAndEveryProblemOfABrokenOne()
    {
        var good = SeekProcess.Run("inspect", "--model", SharedData.GoldenModel("tiny-fp8"));
        Assert.True(good.Exit == 0, good.Stderr + good.Stdout);
        Assert.Contains("manifest          OK", good.Stdout);
        Assert.Contains("FP8 e4m3", good.Stdout);

        // the same shards under a config that disagrees in two ways: every mismatch is listed at once
        var broken = Path.Combine(_folder, "broken");
        Directory.CreateDirectory(broken);
        foreach (var f in Directory.GetFiles(SharedData.GoldenModel("tiny-fp8"), "model.safetensors*")) File.Copy(f, Path.Combine(broken, Path.GetFileName(f)));
        var config = File.ReadAllText(Path.Combine(SharedData.GoldenModel("tiny-fp8"), "config.json"))
            .Replace("\"kv_lora_rank\": 128", "\"kv_lora_rank\": 96").Replace("\"n_routed_experts\": 8", "\"n_routed_experts\": 12");
        File.WriteAllText(Path.Combine(broken, "config.json"), config);
        var bad = SeekProcess.Run("inspect", "--model", broken);
        Assert.Equal(1, bad.Exit);
        Assert.Contains("WrongShape: model.layers.0.self_attn.kv_a_proj_with_mqa.weight", bad.Stdout);
        Assert.Contains("Missing: model.layers.1.mlp.experts.11.gate_proj.weight", bad.Stdout);
        Assert.Contains("WrongShape: model.layers.2.mlp.gate.weight", bad.Stdout);
    }

    [Fact]
    public void DemoWritesAnUntrainedCheckpointThatGenerateLoads()
    {
        var dir = Path.Combine(_folder, "demo");
        var demo = SeekProcess.Run("demo", "--out", dir, "--max-new-tokens", "4");
        Assert.True(demo.Exit == 0, demo.Stderr);
        Assert.Contains("UNTRAINED", demo.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors.index.json")));

        var inspect = SeekProcess.Run("inspect", "--model", dir);
        Assert.True(inspect.Exit == 0, inspect.Stdout);
        var gen = SeekProcess.Run("generate", "--model", dir, "--ids", "0 5 9 17", "--max-new-tokens", "5", "--json");
        Assert.True(gen.Exit == 0, gen.Stderr);
        var json = JsonDocument.Parse(gen.Stdout).RootElement;
        Assert.Equal(5, json.GetProperty("ids").GetArrayLength());

        // greedy is deterministic: the same ids again, on the plain scalar oracle backend too
        var again = SeekProcess.Run("generate", "--model", dir, "--ids", "0 5 9 17", "--max-new-tokens", "5", "--json", "--device", "reference");
        Assert.True(again.Exit == 0, again.Stderr);
        Assert.Equal(json.GetProperty("ids").GetRawText(), JsonDocument.Parse(again.Stdout).RootElement.GetProperty("ids").GetRawText());
    }

    [Fact]
    public void DeviceCudaRunsOnTheGpuOrSaysInOneLineWhyNot()
    {
        var result = SeekProcess.Run("generate", "--model", SharedData.GoldenModel("tiny-bf16"), "--ids", "0 5 9", "--max-new-tokens", "2", "--json", "--device", "cuda");
        if (SeekSharp.Cuda.CudaAvailability.Default.Reason is { } reason)
        {
            Assert.Equal(2, result.Exit);
            Assert.Equal($"error: --device cuda: {reason}", result.Stderr.Trim());
        }
        else
        {
            Assert.True(result.Exit == 0, result.Stderr);
            Assert.Equal(2, JsonDocument.Parse(result.Stdout).RootElement.GetProperty("ids").GetArrayLength());
        }
    }

    [Theory]
    [InlineData("--ids", "0 x 3", "not a token id")]
    [InlineData("--ids", "0 5000", "outside the vocabulary")]
    public void BadInputGivesOneClearLineAndExitCode2(string option, string value, string message)
    {
        var result = SeekProcess.Run("generate", "--model", SharedData.GoldenModel("tiny-bf16"), option, value, "--max-new-tokens", "2");
        Assert.Equal(2, result.Exit);
        Assert.Contains(message, result.Stderr);
    }

    [Fact]
    public void MissingModelFolderIsNamed()
    {
        var result = SeekProcess.Run("inspect", "--model", Path.Combine(_folder, "nope"));
        Assert.Equal(2, result.Exit);
        Assert.Contains("nope", result.Stderr);
    }

    private static (int[] Tokens, int[] Topk, int[] Routing, float[] Logits) Golden(string model, string prompt, string kind)
    {
        using var tokensDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "tokens.json")));
        var tokens = tokensDoc.RootElement.GetProperty("prompts").GetProperty(prompt).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        using var golden = SafetensorsFile.Open(Path.Combine(model, "golden_ref.safetensors"));
        return (tokens, golden.GetSpan<int>($"{prompt}.{kind}.topk").ToArray(), golden.GetSpan<int>($"{prompt}.{kind}.routing").ToArray(),
            golden.GetSpan<float>($"{prompt}.{kind}.logits").ToArray());
    }

    private static void WriteDecisions(string path, int tokens, int[] topk, int[] routing)
    {
        var log = new DecisionLog(3, 32, 2, 2);
        log.SetTopkRows(0, topk);
        log.SetRoutingRows(0, routing);
        DecisionLogFile.Save(log, tokens, path);
    }
}
