using SeekSharp.Core.Compute.Host;
using SeekSharp.Cpu;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.DeepSeekV32.Synthetic;
using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Cuda.Tests;

/// <summary>
/// Real DeepSeek-V3.2 width on the GPU against the CPU: a dense layer and an MoE layer (hidden 7168, 128 heads, q_lora
/// 1536, kv_lora 512, 64 indexer heads × 128, 256 experts of 2048, FP8 weights with 128×128 scales, random), a prompt
/// prefilled in MHA form then decoded in absorbed form. Decisions (top-k sets, experts) are recorded on the CPU and
/// replayed on the GPU so only arithmetic can differ. top-k is 32 here so that a short prompt already attends sparsely.
/// </summary>
public sealed class RealWidthLayerTests(ITestOutputHelper output)
{
    private const int PromptTokens = 80, DecodeSteps = 3;

    [Fact]
    public void GpuMatchesCpuAtRealWidth()
    {
        var gpu = CudaTestDevice.Get();
        var config = DeepSeekConfig.Parse(RealWidthConfig.Json(layers: 2, denseLayers: 1, vocab: 2048), "real-width-2-layers");
        var weights = InMemoryRandomWeights.Create(config, seed: 3);
        var options = new ModelOptions { IndexTopkOverride = 32 };
        var tokens = Enumerable.Range(0, PromptTokens + DecodeSteps).Select(i => (i * 389 + 7) % config.VocabSize).ToArray();

        using var cpu = new DeepSeekV32Model(config, weights, new HostDevice(new CpuBackend(Environment.ProcessorCount), ownsBackend: true), options, ownsDevice: true);
        var record = cpu.NewDecisionLog();
        var cpuTrace = new LayerTrace(config.NumHiddenLayers);
        var expected = PrefillThenDecode(cpu, tokens, cpuTrace, record: record);

        using var cuda = new DeepSeekV32Model(config, weights, gpu, options);
        var gpuTrace = new LayerTrace(config.NumHiddenLayers);
        var actual = PrefillThenDecode(cuda, tokens, gpuTrace, forced: record);

        // where a difference starts: each layer's prefill output and index scores (finite entries)
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var layer = Agreement.Of(cpuTrace.Outputs[l]!, gpuTrace.Outputs[l]!, config.HiddenSize);
            output.WriteLine($"layer {l} output (prefill): {layer}; mean|h| {cpuTrace.Outputs[l]!.Average(v => Math.Abs(v)):G4}");
            var (e, a) = (cpuTrace.Scores[l]!, gpuTrace.Scores[l]!);
            double maxScore = 0, maxDiff = 0;
            for (var i = 0; i < e.Length; i++)
                if (float.IsFinite(e[i])) { maxScore = Math.Max(maxScore, Math.Abs(e[i])); maxDiff = Math.Max(maxDiff, Math.Abs(e[i] - a[i])); }
            output.WriteLine($"layer {l} index scores: max|Δ| {maxDiff:G4} of max|s| {maxScore:G4}");
        }

        var cmp = Agreement.Of(expected, actual, config.VocabSize);
        output.WriteLine($"GPU vs CPU, {PromptTokens} prefill rows + {DecodeSteps} decode rows: {cmp}; mean|logit| {expected.Average(v => Math.Abs(v)):G4}");

        // How far the CPU drifts from itself when every embedding value moves by one bf16 ulp (what one rounding
        // difference per value does): random real-width layers amplify such differences strongly, so this, not a
        // fixed percentage, is the scale for GPU-vs-CPU drift. The per-op agreement is RealWidthLockstepTests' job.
        using var nudged = new DeepSeekV32Model(config, weights with { Embedding = OneUlpNudged(weights.Embedding) },
            new HostDevice(new CpuBackend(Environment.ProcessorCount), ownsBackend: true), options, ownsDevice: true);
        var self = Agreement.Of(expected, PrefillThenDecode(nudged, tokens, new LayerTrace(config.NumHiddenLayers), forced: record), config.VocabSize);
        output.WriteLine($"CPU vs CPU with embeddings nudged by one ulp: {self}");
        if (Environment.GetEnvironmentVariable("SEEKSHARP_TEST_REPORT_DIR") is { Length: > 0 } dir)
            File.WriteAllLines(Path.Combine(dir, "real-width-drift.txt"), [$"GPU vs CPU: {cmp}", $"CPU one-ulp sensitivity: {self}"]);
        Assert.True(cmp.Mean <= 2 * self.Mean, $"GPU-vs-CPU mean|Δ| {cmp.Mean:G4} exceeds twice the CPU's one-ulp sensitivity {self.Mean:G4}");
        Assert.True(cmp.ArgmaxAgreement >= self.ArgmaxAgreement - 0.1, $"argmax agreement {cmp.ArgmaxAgreement:P1} vs the one-ulp sensitivity's {self.ArgmaxAgreement:P1}");
    }

    /// <summary>The bf16 embedding table with every value moved one ulp away from zero (alternating direction by column).</summary>
    private static unsafe Core.Backend.LinearWeight OneUlpNudged(Core.Backend.LinearWeight table)
    {
        var bits = new ReadOnlySpan<ushort>((void*)table.Data, checked(table.Out * table.In)).ToArray();
        for (var i = 0; i < bits.Length; i++)
            if ((bits[i] & 0x7F80) != 0x7F80 && (bits[i] & 0x7FFF) != 0) bits[i] = (ushort)(i % 2 == 0 ? bits[i] + 1 : bits[i] - 1);
        return Core.Backend.LinearWeight.FromBf16(table.Name, bits, table.Out, table.In);
    }

    /// <summary>Logits of every prompt row (one MHA prefill) followed by one row per decode step (absorbed form).</summary>
    private static float[] PrefillThenDecode(DeepSeekV32Model model, int[] tokens, LayerTrace trace, Models.Decisions.DecisionLog? forced = null,
        Models.Decisions.DecisionLog? record = null)
    {
        using var cache = model.NewCache(tokens.Length);
        var rows = new List<float>(model.Forward(tokens.AsSpan(0, PromptTokens), cache, allRows: true, forced, record, trace));
        for (var i = PromptTokens; i < tokens.Length; i++)
            rows.AddRange(model.Forward(tokens.AsSpan(i, 1), cache, allRows: false, forced, record));
        return rows.ToArray();
    }

    private sealed class LayerTrace(int layers) : IForwardTrace
    {
        public float[]?[] Outputs { get; } = new float[layers][];
        public float[]?[] Scores { get; } = new float[layers][];

        public void LayerOutput(int layer, ReadOnlySpan<float> hidden) => Outputs[layer] = hidden.ToArray();
        public void IndexScores(int layer, int startPos, int tokens, ReadOnlySpan<float> scores) => Scores[layer] = scores.ToArray();
    }
}
