using SeekSharp.Models.Sampling;

namespace SeekSharp.Models.Tests.Sampling;

/// <summary>
/// The sampler against its definition: the plain forms below (a comparison-loop argmax; a full sort by probability
/// descending, index ascending, for top-k and top-p) draw the same tokens from the same seed.
/// </summary>
public class SamplerTests
{
    [Theory]
    [InlineData(0f, 1f, 0)]
    [InlineData(1f, 1f, 0)]
    [InlineData(1f, 0.95f, 0)]
    [InlineData(0.6f, 0.95f, 0)]
    [InlineData(0.6f, 0.95f, 50)]
    [InlineData(1.5f, 0.5f, 0)]
    [InlineData(1f, 0.999999f, 0)]
    [InlineData(1f, 1f, 7)]
    [InlineData(2f, 1f, 5000)]
    public void DrawsWhatTheDefinitionDraws(float temperature, float topP, int topK)
    {
        var random = new Random(17);
        foreach (var vocab in new[] { 1, 2, 300, 5000 })
            for (var trial = 0; trial < 20; trial++)
            {
                // coarse values: many ties, several entries per binary order of magnitude
                var logits = new float[vocab];
                for (var i = 0; i < vocab; i++) logits[i] = random.Next(40) / (trial % 2 == 0 ? 4f : 0.5f) - 5f;
                var parameters = new SamplingParams(temperature, topP, topK, Seed: trial);
                var sampler = new Sampler(parameters);
                var definition = new DefinitionSampler(parameters);
                for (var draw = 0; draw < 5; draw++)
                    Assert.Equal(definition.Next(logits), sampler.Next(logits));
            }
    }

    [Fact]
    public void ArgMaxIsTheFirstIndexOfTheLargestAndANanNeverWinsPastIndexZero()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 2000; trial++)
        {
            var logits = new float[1 + random.Next(700)];
            for (var i = 0; i < logits.Length; i++) logits[i] = random.Next(9) / 2f - 2f;   // ties, and ±0 maxima
            if (trial % 7 == 0) logits[random.Next(logits.Length)] = float.NaN;
            if (trial % 11 == 0) logits[random.Next(logits.Length)] = -0f;
            Assert.Equal(DefinitionSampler.ArgMax(logits), Sampler.ArgMax(logits));
        }
        Assert.Equal(0, Sampler.ArgMax([float.NaN, 1f, 2f]));
        Assert.Equal(2, Sampler.ArgMax([1f, float.NaN, 2f, 2f]));
        Assert.Equal(0, Sampler.ArgMax([-0f, 0f]));
        Assert.Equal(0, Sampler.ArgMax([]));
    }

    /// <summary>The sampler as first written: every step plain, a LINQ sort of the whole vocabulary for the truncation.</summary>
    private sealed class DefinitionSampler(SamplingParams p)
    {
        private readonly Random _random = p.Seed is { } seed ? new Random(seed) : new Random();

        public int Next(float[] logits)
        {
            if (p.Temperature == 0f) return ArgMax(logits);
            var probs = new float[logits.Length];
            var max = float.NegativeInfinity;
            for (var i = 0; i < logits.Length; i++) max = Math.Max(max, logits[i] / p.Temperature);
            var sum = 0.0;
            for (var i = 0; i < logits.Length; i++)
            {
                probs[i] = MathF.Exp(logits[i] / p.Temperature - max);
                sum += probs[i];
            }
            for (var i = 0; i < probs.Length; i++) probs[i] = (float)(probs[i] / sum);
            if (p.TopK > 0 || p.TopP < 1f)
            {
                var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).ToArray();
                var keep = p.TopK > 0 ? Math.Min(p.TopK, order.Length) : order.Length;
                var mass = 0.0;
                for (var r = 0; r < keep; r++)
                {
                    mass += probs[order[r]];
                    if (mass >= p.TopP) { keep = r + 1; break; }
                }
                for (var r = keep; r < order.Length; r++) probs[order[r]] = 0f;
            }
            var best = -1;
            var bestValue = double.NegativeInfinity;
            for (var i = 0; i < probs.Length; i++)
            {
                if (probs[i] <= 0f) continue;
                var value = probs[i] / -Math.Log(1.0 - _random.NextDouble());
                if (value > bestValue) { bestValue = value; best = i; }
            }
            return best < 0 ? ArgMax(logits) : best;
        }

        public static int ArgMax(ReadOnlySpan<float> logits)
        {
            var best = 0;
            for (var i = 1; i < logits.Length; i++)
                if (logits[i] > logits[best]) best = i;
            return best;
        }
    }
}
