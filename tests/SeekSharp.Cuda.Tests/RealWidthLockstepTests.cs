using SeekSharp.Core;
using SeekSharp.Core.Compute.Host;
using SeekSharp.Core.Compute.Lockstep;
using SeekSharp.Cpu;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Cuda.Tests;

/// <summary>
/// Every op of a real-width forward pass (a dense and an MoE layer at DeepSeek-V3.2's dimensions, random FP8 weights,
/// MHA prefill then absorbed decode steps) run on the CPU and the GPU in lockstep: each op's GPU output is compared with
/// the CPU's from identical inputs, at the model's own shapes, strides and data, to the op tests' per-dtype bars.
/// </summary>
public sealed class RealWidthLockstepTests(ITestOutputHelper output)
{
    private const int PromptTokens = 80, DecodeSteps = 3;

    [Fact]
    public void EveryOpMatchesTheCpuAtRealWidth()
    {
        var gpu = CudaTestDevice.Get();
        var config = DeepSeekConfig.Parse(RealWidthConfig.Json(layers: 2, denseLayers: 1, vocab: 2048), "real-width-2-layers");
        var weights = InMemoryRandomWeights.Create(config, seed: 3);
        var tokens = Enumerable.Range(0, PromptTokens + DecodeSteps).Select(i => (i * 389 + 7) % config.VocabSize).ToArray();
        using var cpu = new HostDevice(new CpuBackend(Environment.ProcessorCount), ownsBackend: true);
        var lockstep = new LockstepDevice(cpu, gpu);
        using (var model = new DeepSeekV32Model(config, weights, lockstep, new ModelOptions { IndexTopkOverride = 32 }))
        {
            using var cache = model.NewCache(tokens.Length);
            model.Forward(tokens.AsSpan(0, PromptTokens), cache, allRows: true);
            for (var i = PromptTokens; i < tokens.Length; i++) model.Forward(tokens.AsSpan(i, 1), cache);
        }

        var failures = new List<string>();
        var report = new List<string>();
        foreach (var group in lockstep.Discrepancies.GroupBy(d => (Kind(d.Op), d.Output, d.DType)).OrderBy(g => g.Key.Item1))
        {
            var worst = group.MaxBy(d => d.DType == DType.F32 ? d.NormalisedError : d.Mismatches)!;
            var bar = Bar(worst);
            report.Add($"{group.Key.Item1}.{group.Key.Output}: {group.Count()} calls, worst {worst}  (bar: {(bar < 0 ? "exact" : bar.ToString("G3"))})");
            output.WriteLine(report[^1]);
            var bad = group.Where(d => d.DType == DType.F32 ? !(d.NormalisedError <= bar) : d.Mismatches > 0).ToList();
            if (bad.Count > 0) failures.Add($"{bad.Count} of {group.Count()} calls of {group.Key.Item1}.{group.Key.Output} beyond the bar, e.g. {bad[0]}");
        }
        // the per-op table is worth keeping from GPU runs even when the test passes (xunit shows output only on failure)
        if (Environment.GetEnvironmentVariable("SEEKSHARP_TEST_REPORT_DIR") is { Length: > 0 } dir)
            File.WriteAllLines(Path.Combine(dir, "real-width-lockstep.txt"), report);
        Assert.True(lockstep.Discrepancies.Count > 100, $"only {lockstep.Discrepancies.Count} op outputs compared");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>"linear model.layers.0.self_attn.q_a_proj.weight" → "linear q_a_proj"; other ops keep their name.</summary>
    private static string Kind(string op)
    {
        if (!op.StartsWith("linear", StringComparison.Ordinal)) return op;
        var parts = op.Split(' ', 2);
        var name = parts[1].Replace(".weight", "");
        var segments = name.Split('.');
        var tail = segments.Length >= 2 && int.TryParse(segments[^2], out _) ? $"{segments[^3]}.{segments[^1]}" : segments[^1];
        return $"{parts[0]} {tail}";
    }

    /// <summary>The op tests' bars: exact for indices, codes and moved data; 1/128 normalised for bf16 results; 1e-4 for fp32 results.</summary>
    private static double Bar(OpDiscrepancy d)
    {
        if (d.DType != DType.F32) return -1;
        if (d.Op is "copy" or "copy_rows" or "gather_rows" or "embed") return 0;
        if (d.Op.StartsWith("linear(fp32)", StringComparison.Ordinal) || d.Op is "index_scores" or "scatter_add_scaled" or "moe_route" or "scale_indexer_weights")
            return 1e-4;
        return 1.0 / 128;
    }
}
