using SeekSharp.Models.Reference;

namespace SeekSharp.Models.Tests.Reference;

/// <summary>
/// The lightning indexer of the reference forward against golden_ref: layer 0 of a prefill sees the same inputs as the
/// golden (no upstream decision), so its scores must agree closely and its own top-k sets must be valid under the
/// golden's scores.
/// </summary>
public sealed class ReferenceIndexerGoldenTests
{
    public static TheoryData<string> Prompts() => new("A", "B");

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Layer0ScoresAndFreeRunningSetsAgreeWithGolden(string prompt)
    {
        var g = ReferenceGolden.Get("tiny-bf16");
        var tokens = g.Prompts[prompt];
        var n = tokens.Length;
        var layers = g.Config.NumHiddenLayers;
        var k = g.Config.IndexTopk;
        var trace = new ReferenceTrace();
        var record = g.NewLog();

        g.Model.Forward(tokens, 0, g.Model.NewCache(), record: record, trace: trace);

        var golden = g.Floats("ref", $"{prompt}.prefill.index_score");    // [n, layers, n]
        var ours = trace.IndexScores[0]!;                                // [n, n]
        var rowErrors = new double[n];
        int identicalSets = 0, sparseRows = 0;
        for (var r = 0; r < n; r++)
        {
            var expected = golden.AsSpan(r * layers * n, n);
            var actual = ours.AsSpan(r * n, n);
            double scale = 0, maxDiff = 0;
            for (var j = 0; j < n; j++)
            {
                if (j > r)
                {
                    Assert.True(float.IsNegativeInfinity(expected[j]) && float.IsNegativeInfinity(actual[j]), $"row {r} key {j}: future keys are -inf");
                    continue;
                }
                Assert.True(float.IsFinite(expected[j]) && float.IsFinite(actual[j]), $"row {r} key {j}: visible keys are finite");
                scale = Math.Max(scale, Math.Abs(expected[j]));
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[j] - actual[j]));
            }
            rowErrors[r] = maxDiff / scale;

            Assert.True(record.TryGetTopk(r, 0, out var set));
            if (r + 1 <= k)
            {
                Assert.Equal(Enumerable.Range(0, r + 1), set.ToArray());     // dense rows select every visible key
                continue;
            }
            sparseRows++;
            var kth = expected[..(r + 1)].ToArray().OrderDescending().ElementAt(k - 1);   // golden 32nd-largest score
            Assert.Equal(k, set.Length);
            foreach (var key in set)
                Assert.True(expected[key] >= kth - 1e-3 * scale, $"row {r}: key {key} scores {expected[key]} below the golden top-{k} bound {kth}");
            var goldenSet = g.Ints("ref", $"{prompt}.prefill.topk").AsSpan((r * layers) * k, k);
            if (set.SequenceEqual(goldenSet)) identicalSets++;
        }

        var sorted = rowErrors.Order().ToArray();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{prompt} layer-0 index scores, max|Δ|/max|score| per row: median {sorted[n / 2]:G3}, worst {sorted[^1]:G3}, " +
            $"rows above 1e-4: {sorted.Count(e => e > 1e-4)} of {n}; free-running sets identical to golden in {identicalSets} of {sparseRows} sparse rows");
        Assert.True(sorted[n / 2] <= 1e-6, $"median relative error {sorted[n / 2]:G3}");
        Assert.True(sorted[^1] <= 0.01, $"worst relative error {sorted[^1]:G3}");
        Assert.True(identicalSets >= 0.95 * sparseRows, $"only {identicalSets} of {sparseRows} free-running sets equal the golden's");
    }
}
