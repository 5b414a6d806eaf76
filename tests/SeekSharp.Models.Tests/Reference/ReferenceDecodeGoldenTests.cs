using SeekSharp.Models.Decisions;
using SeekSharp.Models.Reference;

using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Models.Tests.Reference;

/// <summary>
/// The absorbed decode path (one token per forward over the latent cache) and teacher-forced generation against
/// golden_ref of tiny-bf16, each forward's decisions forced to the golden's.
/// </summary>
public sealed class ReferenceDecodeGoldenTests
{
    public static TheoryData<string> Prompts() => new("A", "B");

    [Theory]
    [MemberData(nameof(Prompts))]
    public void DecodeForcedToPrefillDecisionsMatchesGoldenDecodeAndPrefill(string prompt)
    {
        var g = ReferenceGolden.Get("tiny-bf16");
        var forced = g.ForcedLog($"{prompt}.prefill.topk", 0, $"{prompt}.prefill.routing", 0);

        var logits = DecodePath(g, prompt, forced);

        var p = g.DecodePrefillLength[prompt];
        Agreement.Of(g.Floats("ref", $"{prompt}.decode_forced.logits"), logits, g.Vocab)
            .AssertWithin(0.15, 0.015, 0.95, $"{prompt} decode path forced vs golden decode_forced");
        var prefill = g.Floats("ref", $"{prompt}.prefill.logits").AsSpan((p - 1) * g.Vocab);
        Agreement.Of(prefill, logits, g.Vocab)
            .AssertWithin(0.2, 0.025, 0.95, $"{prompt} decode path forced vs golden prefill rows {p - 1}..");
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void DecodeWithGoldenDecodeDecisionsMatchesGoldenDecode(string prompt)
    {
        var g = ReferenceGolden.Get("tiny-bf16");
        var p = g.DecodePrefillLength[prompt];
        var forced = g.ForcedLog($"{prompt}.decode.prefill_topk", 0, $"{prompt}.decode.routing", 0);
        forced.SetTopkRows(p, g.Ints("ref", $"{prompt}.decode.topk"));

        var golden = g.Floats("ref", $"{prompt}.decode.index_score");    // [L-P, layers, L], NaN after the position
        var (n, layers) = (g.Prompts[prompt].Length, g.Config.NumHiddenLayers);
        var worst = 0.0;
        void CheckLayer0Scores(int pos, ReferenceTrace trace)
        {
            // Layer 0 of a decode step sees the golden's inputs too: its scores over keys 0..pos must agree.
            var expected = golden.AsSpan(((pos - p) * layers) * n, n);
            var actual = trace.IndexScores[0]!;
            Assert.Equal(pos + 1, actual.Length);
            for (var j = pos + 1; j < n; j++) Assert.True(float.IsNaN(expected[j]), $"golden key {j} lies after position {pos}");
            double scale = 0, diff = 0;
            for (var j = 0; j <= pos; j++)
            {
                scale = Math.Max(scale, Math.Abs(expected[j]));
                diff = Math.Max(diff, Math.Abs(expected[j] - actual[j]));
            }
            worst = Math.Max(worst, diff / scale);
        }

        var logits = DecodePath(g, prompt, forced, CheckLayer0Scores);

        Agreement.Of(g.Floats("ref", $"{prompt}.decode.logits"), logits, g.Vocab)
            .AssertWithin(0.15, 0.015, 0.95, $"{prompt} decode path with golden decode decisions vs golden decode");
        TestContext.Current.TestOutputHelper?.WriteLine($"{prompt} decode steps, layer-0 index scores: worst max|Δ|/max|score| {worst:G3}");
        Assert.True(worst <= 0.01, $"layer-0 decode index scores differ by {worst:G3} of the row scale");
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void TeacherForcedGenerationFollowsGoldenTokens(string prompt)
    {
        var g = ReferenceGolden.Get("tiny-bf16");
        var tokens = g.Prompts[prompt];
        var goldenTokens = g.Ints("ref", $"{prompt}.gen.tokens");
        var forced = g.ForcedLog($"{prompt}.prefill.topk", 0, $"{prompt}.prefill.routing", 0);
        forced.SetTopkRows(tokens.Length, g.Ints("ref", $"{prompt}.gen.topk"));
        forced.SetRoutingRows(tokens.Length, g.Ints("ref", $"{prompt}.gen.routing"));

        var cache = g.Model.NewCache();
        var vocab = g.Vocab;
        var logits = new float[goldenTokens.Length * vocab];            // [16, vocab]
        var prefill = g.Model.Forward(tokens, 0, cache, forced);
        prefill.AsSpan((tokens.Length - 1) * vocab, vocab).CopyTo(logits);
        for (var j = 0; j + 1 < goldenTokens.Length; j++)
            g.Model.Forward([goldenTokens[j]], tokens.Length + j, cache, forced).CopyTo(logits, (j + 1) * vocab);

        var golden = g.Floats("ref", $"{prompt}.gen.logits");
        Agreement.Of(golden, logits, vocab).AssertWithin(0.15, 0.02, 0.75, $"{prompt} teacher-forced generation logits");
        var decisive = 0;
        for (var j = 0; j < goldenTokens.Length; j++)
        {
            var row = golden.AsSpan(j * vocab, vocab);
            Assert.Equal(goldenTokens[j], Agreement.Argmax(row));        // the golden's own greedy rule
            if (TopTwoMargin(row) <= 0.1) continue;
            decisive++;
            Assert.True(goldenTokens[j] == Agreement.Argmax(logits.AsSpan(j * vocab, vocab)),
                $"{prompt} step {j}: argmax {Agreement.Argmax(logits.AsSpan(j * vocab, vocab))}, golden token {goldenTokens[j]} (margin {TopTwoMargin(row):G3})");
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{prompt}: {decisive} of {goldenTokens.Length} steps have a golden top-2 margin > 0.1; all match");
    }

    /// <summary>Prefill tokens 0..P-1, then one token per forward at positions P..L-1: rows [L-P+1, vocab] from position P-1.</summary>
    private static float[] DecodePath(ReferenceGolden g, string prompt, DecisionLog forced, Action<int, ReferenceTrace>? onStep = null)
    {
        var tokens = g.Prompts[prompt];
        var p = g.DecodePrefillLength[prompt];
        var vocab = g.Vocab;
        var cache = g.Model.NewCache();
        var logits = new float[(tokens.Length - p + 1) * vocab];
        var prefill = g.Model.Forward(tokens.AsSpan(0, p), 0, cache, forced);
        prefill.AsSpan((p - 1) * vocab, vocab).CopyTo(logits);
        var trace = new ReferenceTrace();
        for (var pos = p; pos < tokens.Length; pos++)
        {
            g.Model.Forward(tokens.AsSpan(pos, 1), pos, cache, forced, trace: trace).CopyTo(logits, (pos - p + 1) * vocab);
            onStep?.Invoke(pos, trace);
        }
        return logits;
    }

    private static float TopTwoMargin(ReadOnlySpan<float> row)
    {
        float first = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (var v in row)
        {
            if (v > first) { second = first; first = v; }
            else if (v > second) second = v;
        }
        return first - second;
    }
}
