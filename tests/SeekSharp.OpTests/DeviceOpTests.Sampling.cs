using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.OpTests;

public abstract partial class DeviceOpTests
{
    public static TheoryData<int> SamplingVocabularies => new() { 50, 5000, 129280 };   // 129280: DeepSeek-V3.2's

    [Theory]
    [MemberData(nameof(SamplingVocabularies))]
    public void SampleRowsDrawsTheReferenceTokens(int vocab)
    {
        var data = new OpData(31);
        RowSampling[] settings =
        [
            RowSampling.Greedy,
            new(0.7f, Seed: 1, Counter: 0),
            new(1.0f, TopK: 5, Seed: 2, Counter: 9),
            new(1.3f, TopP: 0.9f, Seed: 3, Counter: 4),
            new(0.8f, TopP: 0.5f, TopK: 40, Seed: 4, Counter: 77),
            new(1.0f, TopP: 1e-6f, Seed: 5, Counter: 1),         // nucleus of one token: the argmax
            new(2.0f, TopK: 3, Seed: 6, Counter: 2),              // ties across the top-k boundary (row filled below)
            new(1.0f, TopP: 0.3f, Seed: 7, Counter: 3),           // ties across the top-p boundary
        ];
        var rows = settings.Length;
        var values = data.Activations((long)rows * vocab, 4);
        for (var i = 0; i < vocab; i++) values[6 * vocab + i] = -(i % 13) * 0.25f;
        for (var i = 0; i < 6; i++) values[6 * vocab + i * 7] = 9f;                     // six equal maxima, top-k 3 keeps the lowest three
        for (var i = 0; i < vocab; i++) values[7 * vocab + i] = i % 4 == 0 ? 2f : -30f; // many equal weights at the nucleus edge
        var logits = Floats(values);
        var ids = Zeros(DType.I32, rows);
        Device.SampleRows(logits.Dev, rows, vocab, settings, ids.Dev);
        Reference.SampleRows(logits.Ref, rows, vocab, settings, ids.Ref);
        AssertEqual<int>(ids, "sampled ids");

        var drawn = Read<int>(Reference, ids.Ref);
        var greedy = 0;
        for (var i = 1; i < vocab; i++) if (values[i] > values[greedy]) greedy = i;
        Assert.Equal(greedy, drawn[0]);
        Assert.Contains(drawn[6], new[] { 0, 7, 14 });
        Assert.Equal(0, drawn[7] % 4);
    }

    [Fact]
    public void SampleRowsFollowsTheSoftmaxDistribution()
    {
        // one 6-token row drawn 6000 times with different counters: frequencies within 5 σ of softmax(l / T)
        float[] row = [1.0f, 0.0f, 2.0f, -1.0f, 0.5f, 1.5f];
        const int draws = 6000;
        const float temperature = 0.8f;
        var values = new float[draws * row.Length];
        var settings = new RowSampling[draws];
        for (var d = 0; d < draws; d++)
        {
            row.CopyTo(values, d * row.Length);
            settings[d] = new RowSampling(temperature, Seed: 42, Counter: (ulong)d);
        }
        var logits = Floats(values);
        var ids = Zeros(DType.I32, draws);
        Device.SampleRows(logits.Dev, draws, row.Length, settings, ids.Dev);
        var counts = new int[row.Length];
        foreach (var id in Read<int>(Device, ids.Dev)) counts[id]++;

        var weights = row.Select(l => Math.Exp(l / temperature)).ToArray();
        var total = weights.Sum();
        for (var i = 0; i < row.Length; i++)
        {
            var p = weights[i] / total;
            var sigma = Math.Sqrt(draws * p * (1 - p));
            Assert.True(Math.Abs(counts[i] - draws * p) <= 5 * sigma, $"token {i}: {counts[i]} draws, expected {draws * p:F0} ± {sigma:F0}");
        }
    }
}
