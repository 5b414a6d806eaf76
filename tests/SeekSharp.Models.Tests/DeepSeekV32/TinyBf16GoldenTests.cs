using SeekSharp.Models.Decisions;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>
/// The optimised model against the primary golden (README §5): decisions forced to the reference's, so the
/// discontinuous top-k and routing cannot hide arithmetic differences. Bars: README's (HF achieves them);
/// tighter bars below are what this implementation measured, with margin.
/// </summary>
public sealed class TinyBf16GoldenTests(TinyBf16Models models, ITestOutputHelper output) : IClassFixture<TinyBf16Models>
{
    public static TheoryData<string, string> PromptsAndBackends => new()
    {
        { "A", "cpu" }, { "B", "cpu" }, { "A", "scalar" }, { "B", "scalar" },
    };

    [Theory]
    [MemberData(nameof(PromptsAndBackends))]
    public void ForcedPrefillMatchesReferenceLogits(string prompt, string backend)
    {
        var tiny = models.For(backend);
        var tokens = tiny.Golden.Prompts[prompt];
        var forced = tiny.Model.NewDecisionLog();
        GoldenModelData.Load(forced, tiny.Golden.Ints($"{prompt}.prefill.topk"), 0, tiny.Golden.Ints($"{prompt}.prefill.routing"), 0);
        var trace = new CollectingTrace(tiny.Model.Config.NumHiddenLayers);

        var logits = tiny.Model.Forward(tokens, tiny.Model.NewCache(), allRows: true, forced, trace: trace);

        var cmp = Agreement.Of(tiny.Golden.Floats($"{prompt}.prefill.logits"), logits, tiny.Vocab);
        output.WriteLine($"{prompt} {backend} forced prefill: {cmp}");
        AssertWithin(cmp, max: 0.35, mean: 0.04, argmax: 0.95);

        var hidden = Agreement.Of(tiny.Golden.Floats($"{prompt}.prefill.final_hidden"), trace.Final!, tiny.Model.Config.HiddenSize);
        output.WriteLine($"{prompt} {backend} final_hidden: max|Δ| {hidden.Max:F4} mean {hidden.Mean:F5}");
        Assert.True(hidden.Mean < 0.02, $"final_hidden mean|Δ| {hidden.Mean}");
    }

    [Theory]
    [MemberData(nameof(PromptsAndBackends))]
    public void ForcedDecodePathMatchesReference(string prompt, string backend)
    {
        var tiny = models.For(backend);
        var tokens = tiny.Golden.Prompts[prompt];
        var p = tiny.Golden.DecodePrefillLength[prompt];
        var forced = tiny.Model.NewDecisionLog();
        GoldenModelData.Load(forced, tiny.Golden.Ints($"{prompt}.prefill.topk"), 0, tiny.Golden.Ints($"{prompt}.prefill.routing"), 0);

        var logits = tiny.Model.Score(tokens, p, forced);

        var vsForced = Agreement.Of(tiny.Golden.Floats($"{prompt}.decode_forced.logits"), logits, tiny.Vocab);
        output.WriteLine($"{prompt} {backend} forced decode path vs decode_forced: {vsForced}");
        AssertWithin(vsForced, max: 0.35, mean: 0.04, argmax: 0.95);

        var prefill = tiny.Golden.Floats($"{prompt}.prefill.logits").AsSpan((p - 1) * tiny.Vocab);
        var vsPrefill = Agreement.Of(prefill, logits, tiny.Vocab);
        output.WriteLine($"{prompt} {backend} forced decode path vs prefill rows: {vsPrefill}");
        AssertWithin(vsPrefill, max: 0.35, mean: 0.04, argmax: 0.95);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    public void DecodePathWithReplayedGoldenDecisionsMatchesReference(string prompt)
    {
        var tiny = models.Cpu;
        var tokens = tiny.Golden.Prompts[prompt];
        var p = tiny.Golden.DecodePrefillLength[prompt];
        var forced = tiny.Model.NewDecisionLog();
        GoldenModelData.Load(forced, tiny.Golden.Ints($"{prompt}.decode.prefill_topk"), 0, tiny.Golden.Ints($"{prompt}.decode.routing"), 0);
        forced.SetTopkRows(p, tiny.Golden.Ints($"{prompt}.decode.topk"));

        var logits = tiny.Model.Score(tokens, p, forced);

        var cmp = Agreement.Of(tiny.Golden.Floats($"{prompt}.decode.logits"), logits, tiny.Vocab);
        output.WriteLine($"{prompt} decode path, golden decode decisions replayed: {cmp}");
        AssertWithin(cmp, max: 0.35, mean: 0.04, argmax: 0.95);
    }

    [Fact]
    public void ContinuedPrefillFromCacheMatchesDecodeSteps()
    {
        // prefill P tokens, then the rest as ONE chunk at start_pos P (absorbed form over the cache)
        var tiny = models.Cpu;
        var tokens = tiny.Golden.Prompts["A"];
        var p = tiny.Golden.DecodePrefillLength["A"];
        var forced = tiny.Model.NewDecisionLog();
        GoldenModelData.Load(forced, tiny.Golden.Ints("A.prefill.topk"), 0, tiny.Golden.Ints("A.prefill.routing"), 0);

        var cache = tiny.Model.NewCache();
        tiny.Model.Forward(tokens.AsSpan(0, p), cache, allRows: false, forced);
        var chunk = tiny.Model.Forward(tokens.AsSpan(p), cache, allRows: true, forced);
        var steps = tiny.Model.Score(tokens, p, forced).AsSpan(tiny.Vocab);   // rows p..L-1

        // Same math; the SIMD GEMM sums a 72-row chunk in another fp32 order than 1-row steps (it is not
        // batch-invariant), so bf16 roundings may differ: well inside the golden bar, not bit-equal. (The scalar
        // oracle, whose sums do not depend on the batch, is bit-equal here.) Every row's argmax must agree, up to
        // logits within 0.1 of each other: the prompt has rows whose two best are 0.002–0.04 apart, and that noise may
        // swap them (on an AMD EPYC runner it swapped one, at max|Δ| 0.039).
        var cmp = Agreement.Of(steps, chunk, tiny.Vocab, tieMargin: 0.1);
        output.WriteLine($"continued prefill chunk vs single decode steps: {cmp}");
        Assert.True(cmp.Max < 0.1 && cmp.Mean < 0.01 && cmp.ArgmaxAgreement == 1.0, cmp.ToString());
        var golden = tiny.Golden.Floats("A.prefill.logits").AsSpan(p * tiny.Vocab);
        AssertWithin(Agreement.Of(golden, chunk, tiny.Vocab), max: 0.35, mean: 0.04, argmax: 0.95);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    public void LayerZeroIndexScoresMatchAndFreeSetsAreValidTopK(string prompt)
    {
        var tiny = models.Cpu;
        var tokens = tiny.Golden.Prompts[prompt];
        var l = tokens.Length;
        var layers = tiny.Model.Config.NumHiddenLayers;
        var trace = new CollectingTrace(layers);
        var record = tiny.Model.NewDecisionLog();
        tiny.Model.Forward(tokens, tiny.Model.NewCache(), allRows: true, record: record, trace: trace);

        var golden = tiny.Golden.Floats($"{prompt}.prefill.index_score");   // [L, layers, L]
        double maxRel = 0;
        var k = tiny.Model.Config.IndexTopk;
        for (var t = 0; t < l; t++)
        {
            var g = golden.AsSpan((t * layers + 0) * l, l);
            var ours = trace.Scores[0].AsSpan(t * l, l);
            var scale = 0.0;
            for (var s = 0; s <= t; s++) scale = Math.Max(scale, Math.Abs(g[s]));
            for (var s = 0; s <= t; s++) maxRel = Math.Max(maxRel, Math.Abs(ours[s] - g[s]) / Math.Max(scale, 1e-6));
            for (var s = t + 1; s < l; s++) Assert.True(float.IsNegativeInfinity(ours[s]), $"row {t} key {s} not causally masked");

            // our own (free) layer-0 set must be a valid top-k under the golden scores
            Assert.True(record.TryGetTopk(t, 0, out var set));
            Assert.Equal(Math.Min(k, t + 1), set.Length);
            var sorted = g[..(t + 1)].ToArray().OrderDescending().ToArray();
            var kth = sorted[Math.Min(k, t + 1) - 1];
            foreach (var s in set) Assert.True(g[s] >= kth - 1e-3 * scale, $"row {t}: key {s} (golden {g[s]}) below the golden k-th score {kth}");
        }
        output.WriteLine($"{prompt} layer-0 index scores: max relative |Δ| {maxRel:E2}");
        Assert.True(maxRel < 1e-2, $"layer-0 index scores differ by {maxRel:E2} of the row scale");
    }

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    public void TeacherForcedGenerationPicksGoldenTokens(string prompt)
    {
        var tiny = models.Cpu;
        var tokens = tiny.Golden.Prompts[prompt];
        var l = tokens.Length;
        var gen = tiny.Golden.Ints($"{prompt}.gen.tokens");
        var goldenLogits = tiny.Golden.Floats($"{prompt}.gen.logits");
        var forced = tiny.Model.NewDecisionLog();
        GoldenModelData.Load(forced, tiny.Golden.Ints($"{prompt}.prefill.topk"), 0, tiny.Golden.Ints($"{prompt}.prefill.routing"), 0);
        GoldenModelData.Load(forced, tiny.Golden.Ints($"{prompt}.gen.topk"), l, tiny.Golden.Ints($"{prompt}.gen.routing"), l);

        var cache = tiny.Model.NewCache();
        var logits = tiny.Model.Forward(tokens, cache, allRows: false, forced);
        var all = new float[gen.Length * tiny.Vocab];
        var checkedSteps = 0;
        for (var j = 0; j < gen.Length; j++)
        {
            logits.CopyTo(all, j * tiny.Vocab);
            var g = goldenLogits.AsSpan(j * tiny.Vocab, tiny.Vocab);
            var top = g.ToArray().OrderDescending().Take(2).ToArray();
            if (top[0] - top[1] > 0.1)
            {
                Assert.Equal(gen[j], Agreement.Argmax(logits));
                checkedSteps++;
            }
            if (j + 1 < gen.Length) logits = tiny.Model.Forward([gen[j]], cache, allRows: false, forced);
        }
        // every step's pick must be the golden token or one within 0.1 of it: prompt A's generation has two near-ties
        // (golden gaps 0.0027 and 0.0079, 10-40x below the logit differences the max bar allows) that rounding may swap
        var cmp = Agreement.Of(goldenLogits, all, tiny.Vocab, tieMargin: 0.1);
        output.WriteLine($"{prompt} teacher-forced generation: {checkedSteps} of {gen.Length} steps decisive and matched; logits {cmp}");
        AssertWithin(cmp, max: 0.35, mean: 0.04, argmax: 1.0);
    }

    [Fact]
    public void RecordedDecisionsReplayToTheSameLogits()
    {
        var tiny = models.Cpu;
        var tokens = tiny.Golden.Prompts["A"];
        var record = tiny.Model.NewDecisionLog();
        var free = tiny.Model.Forward(tokens, tiny.Model.NewCache(), allRows: true, record: record);
        var path = Path.Combine(Path.GetTempPath(), $"seeksharp-decisions-{Guid.NewGuid():N}.safetensors");
        try
        {
            DecisionLogFile.Save(record, tokens.Length, path);
            var replayed = tiny.Model.Forward(tokens, tiny.Model.NewCache(), allRows: true, DecisionLogFile.Load(path, tiny.Model.NewDecisionLog()));
            Assert.Equal(free, replayed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static void AssertWithin(Agreement c, double max, double mean, double argmax) => c.AssertWithin(max, mean, argmax, "logits");
}
