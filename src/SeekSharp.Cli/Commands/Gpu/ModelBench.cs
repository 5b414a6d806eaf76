using SeekSharp.Cuda;
using SeekSharp.Engine;
using SeekSharp.Engine.Cache;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// Decode and prefill tokens/s of a real-width model of as many layers as fit one GPU (issue 6 item 7): the real model's
/// three dense layers first, then as many MoE layers as fit beside the case's caches; random FP8 weights; the real
/// vocabulary, so embedding and head cost what they cost the real model. Each case also runs the dense-only model (the
/// three dense layers, embedding, head), so the marginal time of an MoE layer is measured and the 61-layer figure is the
/// dense-only step plus 58 marginal MoE layers. A decode step is the engine's replayed decode graph with its host refill
/// and the download of every row's logits; a prompt runs whole, chunk by chunk, as one sequence.
/// </summary>
internal sealed class ModelBench(CudaDevice device, MedianTimer timer, long reserveBytes, int maxMoeLayers, Action<string> progress)
{
    public const int RealLayers = 61, RealDenseLayers = 3, RealVocab = 129280;
    private const int RealMoeLayers = RealLayers - RealDenseLayers;

    /// <summary>A decode step of Batch sequences at Length, or a whole prompt of Length tokens (Batch = the chunk).</summary>
    private readonly record struct Case(bool Decode, int Batch, int Length);

    public List<DsaBenchRow> Run(IReadOnlyList<int> contexts, IReadOnlyList<int> batches, IReadOnlyList<int> prompts, int chunk)
    {
        var cases = contexts.SelectMany(l => batches.Select(b => new Case(true, b, l)))
            .Concat(prompts.Select(p => new Case(false, chunk, p))).ToList();
        var free = FreeBytes();

        // what one MoE layer occupies (a one-layer model with a negligible vocabulary), and the dense-only model's size
        // and times
        long moeLayerBytes;
        using (Build(1, 0, 1024, out moeLayerBytes)) { }
        var denseOnly = new Dictionary<Case, double>();
        long denseBytes;
        DeepSeekConfig denseConfig;
        using (var model = Build(RealDenseLayers, RealDenseLayers, RealVocab, out denseBytes))
        {
            denseConfig = model.Config;
            foreach (var c in cases) denseOnly[c] = Time(model, c);
        }
        progress($"free {Gib(free)} GiB; dense-only model {Gib(denseBytes)} GiB; one MoE layer {Gib(moeLayerBytes)} GiB");

        var rowBytes = KvBlockPool.BytesPerBlock(denseConfig, device.Bf16StorageType) / RealDenseLayers / EngineOptions.BlockSize;
        long CacheBytesPerLayer(Case c) => c.Decode
            ? rowBytes * ((long)c.Batch * ((c.Length + EngineOptions.BlockSize - 1) / EngineOptions.BlockSize) + 1) * EngineOptions.BlockSize
            : rowBytes * c.Length;
        var plan = cases.ToDictionary(c => c, c => ModelLayerPlan.MoeLayersThatFit(free, denseBytes, RealDenseLayers, moeLayerBytes,
            CacheBytesPerLayer(c), reserveBytes, Math.Min(maxMoeLayers, RealMoeLayers)));

        // one model per MoE layer count, largest first
        var full = new Dictionary<Case, double>();
        foreach (var group in cases.Where(c => plan[c] > 0).GroupBy(c => plan[c]).OrderByDescending(g => g.Key))
        {
            using var model = Build(RealDenseLayers + group.Key, RealDenseLayers, RealVocab, out _);
            foreach (var c in group) full[c] = Time(model, c);
        }

        var rows = new List<DsaBenchRow>();
        foreach (var c in cases)
        {
            var (phase, unit) = c.Decode ? ("decode", "model") : ("prefill", "prompt");
            double TokensPerSecond(double ms) => (c.Decode ? c.Batch : c.Length) / (ms * 1e-3);
            var what = c.Decode ? "replayed decode step" : $"whole prompt in {c.Batch}-token chunks";
            rows.Add(new(phase, c.Batch, c.Length, unit + "_dense3", denseOnly[c], 0, 0,
                $"{RealDenseLayers} dense layers + embedding + head (vocab {RealVocab}), {what}"));
            var k = plan[c];
            if (k == 0)
            {
                Console.Error.WriteLine($"{phase} B={c.Batch} L={c.Length}: no MoE layer fits beside the caches ({Gib(CacheBytesPerLayer(c))} GiB a layer)");
                continue;
            }
            var measured = full[c];
            rows.Add(new(phase, c.Batch, c.Length, unit, measured, 0, 0,
                $"{RealDenseLayers + k} layers ({RealDenseLayers} dense + {k} MoE, as many as fit), {what}: {TokensPerSecond(measured):F1} tok/s"));
            var all = ModelLayerPlan.Extrapolate(denseOnly[c], measured, k, RealMoeLayers);
            rows.Add(new(phase, c.Batch, c.Length, unit + "_61", all, 0, 0,
                $"{RealLayers} layers: the dense-only model + {RealMoeLayers} x its marginal MoE layer: {TokensPerSecond(all):F1} tok/s"));
        }
        return rows;
    }

    private double Time(DeepSeekV32Model model, Case c)
    {
        progress($"{model.Config.NumHiddenLayers} layers: {(c.Decode ? $"decode B={c.Batch} L={c.Length}" : $"prompt of {c.Length}")}");
        if (c.Decode) return DecodeStepTiming.Measure(model, c.Batch, c.Length, timer).StepMs;
        // a whole prompt takes seconds: one timed run, after the timer's untimed one
        return timer.Time(() => Prompt(model, c.Length, c.Batch), 1);
    }

    private static void Prompt(DeepSeekV32Model model, int length, int chunk)
    {
        using var cache = model.NewCache(length);
        cache.Reserve(length);
        var tokens = Enumerable.Range(0, length).Select(i => 3 + i * 7 % 1000).ToArray();
        for (var start = 0; start < length; start += chunk)
            model.Forward(tokens.AsSpan(start, Math.Min(chunk, length - start)), cache);
    }

    private DeepSeekV32Model Build(int layers, int denseLayers, int vocab, out long bytes)
    {
        var config = DeepSeekConfig.Parse(RealWidthConfig.Json(layers, denseLayers, vocab), $"real-width-{layers}-layers");
        progress($"building {layers} layers ({denseLayers} dense), vocab {vocab}");
        var before = device.Allocator.LiveBytes;
        var model = new DeepSeekV32Model(config, InMemoryRandomWeights.Create(config, seed: 17), device);
        bytes = device.Allocator.LiveBytes - before;
        return model;
    }

    /// <summary>Free device memory with nothing of ours held: the allocator's cached blocks go back first.</summary>
    private long FreeBytes()
    {
        device.Allocator.ReleaseCached();
        return device.Context.MemoryInfo().Free;
    }

    private static string Gib(long bytes) => $"{bytes / (double)(1L << 30):F1}";
}
