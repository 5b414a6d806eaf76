using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Cpu;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Cli.Commands;

/// <summary>
/// `seek bench cpu`: prefill and decode tokens/s on the CPU backend for a checkpoint folder (e.g. the golden
/// tiny-bf16) and for a ~1 GB random model of the V3.2 architecture in FP8 and bf16, next to this machine's
/// memory bandwidth measured in the same run. Decode reads every active weight once per token, so
/// active-weight bytes × tokens/s against the bandwidth says how close decode is to the memory limit.
/// </summary>
internal static class BenchCommand
{

    public static Command Create()
    {
        var cpu = new Command("cpu", "CPU prefill/decode tokens/s and weight-read bandwidth vs the machine's memory bandwidth");
        var model = ModelCommandOptions.Model(required: false);
        model.Description = "Also benchmark this checkpoint folder (e.g. ../shared/golden/model/tiny-bf16)";
        var threads = ModelCommandOptions.Threads();
        var prefill = new Option<int>("--prefill-tokens") { Description = "Prompt length", DefaultValueFactory = _ => 128 };
        var decode = new Option<int>("--decode-tokens") { Description = "Decode steps", DefaultValueFactory = _ => 32 };
        var work = new Option<string?>("--work-dir") { Description = "Where to write the random models (default: temp)" };
        var skipRandom = new Option<bool>("--skip-random") { Description = "Only the --model checkpoint" };
        var jsonOut = new Option<string?>("--json-out") { Description = "Also write the results as JSON here" };
        cpu.Options.Add(model); cpu.Options.Add(threads); cpu.Options.Add(prefill); cpu.Options.Add(decode);
        cpu.Options.Add(work); cpu.Options.Add(skipRandom); cpu.Options.Add(jsonOut);
        cpu.SetAction(r => CliRunner.Run(() =>
        {
            using var backend = new CpuBackend(r.GetValue(threads));
            var bandwidth = MemoryBandwidthProbe.Measure(backend.Threads);
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {backend.Threads} threads; memory bandwidth copy {bandwidth.CopyGBps:F1} GB/s (read+write), read {bandwidth.ReadGBps:F1} GB/s");
            var results = new List<BenchResult>();
            if (r.GetValue(model) is { } dir) results.Add(Run(Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), dir, backend, r.GetValue(prefill), r.GetValue(decode), bandwidth));
            if (!r.GetValue(skipRandom))
            {
                var root = r.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "seeksharp-bench");
                foreach (var fp8 in new[] { true, false })
                {
                    var name = fp8 ? "random-1g-fp8" : "random-1g-bf16";
                    var path = Path.Combine(root, name);
                    var config = DeepSeekConfig.Parse(SyntheticConfigs.MidSize(fp8), name);
                    if (!File.Exists(Path.Combine(path, "config.json"))) RandomCheckpointWriter.Write(path, config, seed: 7);
                    results.Add(Run(name, path, backend, r.GetValue(prefill), r.GetValue(decode), bandwidth));
                }
            }
            if (r.GetValue(jsonOut) is { } outPath)
                File.WriteAllText(outPath, JsonSerializer.Serialize(new { date = DateTime.UtcNow.ToString("yyyy-MM-dd"), threads = backend.Threads, bandwidth, results }, s_json));
            return 0;
        }));
        var bench = new Command("bench", "Benchmarks");
        bench.Subcommands.Add(cpu);
        bench.Subcommands.Add(Gpu.GpuBenchCommand.Create());
        bench.Subcommands.Add(Serve.BenchServeCommand.Create());
        return bench;
    }

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public sealed record BenchResult(string Model, long WeightBytes, long ActiveBytesPerToken, int PrefillTokens,
        double PrefillTokensPerSecond, int DecodeTokens, double DecodeTokensPerSecond, double DecodeWeightGBps, double FractionOfReadBandwidth);

    private static BenchResult Run(string name, string dir, IBackend backend, int prefillTokens, int decodeTokens, MemoryBandwidth bandwidth)
    {
        using var model = DeepSeekV32Model.Load(dir, backend);
        var config = model.Config;
        prefillTokens = Math.Min(prefillTokens, config.MaxPositionEmbeddings - decodeTokens - 1);
        var prompt = Enumerable.Range(0, prefillTokens).Select(i => i == 0 ? 0 : 3 + (i * 7919) % (config.VocabSize - 3)).ToArray();

        using (var warm = model.NewCache())
        {
            // warm-up: JIT and page-in of both paths (a short prefill, then one decode step)
            model.Forward(prompt.AsSpan(0, Math.Min(8, prompt.Length)), warm);
            model.Forward(prompt.AsSpan(0, 1), warm);
        }
        var cache = model.NewCache(prefillTokens + decodeTokens);
        var clock = Stopwatch.StartNew();
        var logits = model.Forward(prompt, cache);
        var prefillSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (var i = 0; i < decodeTokens; i++)
            logits = model.Forward([Models.Sampling.Sampler.ArgMax(logits)], cache);
        var decodeSeconds = clock.Elapsed.TotalSeconds;

        var active = WeightBytes(model.Weights, config.NumExpertsPerTok);
        var decodeRate = decodeTokens / decodeSeconds;
        var gbps = active * decodeRate / 1e9;
        var result = new BenchResult(name, WeightBytes(model.Weights, expertsPerToken: null), active, prefillTokens, prefillTokens / prefillSeconds,
            decodeTokens, decodeRate, gbps, gbps / bandwidth.ReadGBps);
        Console.WriteLine($"{name,-16} weights {result.WeightBytes / 1e9:F2} GB, active/token {active / 1e6:F1} MB | prefill {prefillTokens} tok: {result.PrefillTokensPerSecond:F1} tok/s | decode {decodeTokens} tok: {decodeRate:F2} tok/s = {gbps:F2} GB/s of weights ({result.FractionOfReadBandwidth:P0} of read bandwidth)");
        return result;
    }

    /// <summary>Weight bytes of the model (routed experts: all of them, or the k one decode token uses), scales included.</summary>
    private static long WeightBytes(Models.DeepSeekV32.Weights.ModelWeights w, int? expertsPerToken)
    {
        // the embedding is gathered: a decode token reads one row of it
        long total = Bytes(w.Head) + (expertsPerToken is null ? Bytes(w.Embedding) : (long)w.Embedding.In * w.Embedding.DType.SizeOf());
        foreach (var layer in w.Layers)
        {
            var a = layer.Attention;
            total += Bytes(a.QA) + Bytes(a.QB) + Bytes(a.KvA) + Bytes(a.KvB) + Bytes(a.O);
            if (layer.Indexer is { } ix) total += Bytes(ix.QB) + Bytes(ix.K) + Bytes(ix.WeightsProj);
            if (layer.Dense is { } d) total += Mlp(d);
            if (layer.Moe is { } m)
                total += Bytes(m.Router) + Mlp(m.Shared) + (expertsPerToken is { } k ? k * Mlp(m.Experts[0]) : m.Experts.Sum(Mlp));
        }
        return total;
    }

    private static long Mlp(Models.DeepSeekV32.Weights.MlpWeights m) => Bytes(m.Gate) + Bytes(m.Up) + Bytes(m.Down);

    private static long Bytes(LinearWeight w) => w.ByteSize + (w.ScaleInv?.Length ?? 0) * sizeof(float);
}
