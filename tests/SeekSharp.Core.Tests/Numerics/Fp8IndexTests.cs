using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class Fp8IndexTests
{
    private const int Dim = 128;

    [Fact]
    public void MatchesANaiveRestatementBitForBitAndDoubleClosely()
    {
        const int heads = 8, n = 37;
        var random = new Random(17);
        var q8 = new byte[heads * Dim];
        var k8 = new byte[n * Dim];
        // Codes up to ±4 keep magnitudes moderate; roughly half the head logits end up negative (ReLU matters).
        for (var i = 0; i < q8.Length; i++) q8[i] = (byte)(random.Next(0x48) | (random.Next(2) << 7));
        for (var i = 0; i < k8.Length; i++) k8[i] = (byte)(random.Next(0x48) | (random.Next(2) << 7));
        var weights = new float[heads];
        for (var h = 0; h < heads; h++) weights[h] = (float)((random.NextDouble() - 0.3) * Math.Pow(2, -5));
        var kScales = new float[n];
        for (var s = 0; s < n; s++) kScales[s] = (float)Math.Pow(2, random.Next(-10, -2));
        var scores = new float[n];

        Fp8Index.Scores(q8, weights, k8, kScales, heads, n, scores);

        var sawNegativeLogit = false;
        for (var s = 0; s < n; s++)
        {
            var sum = 0f;
            double exact = 0, magnitude = 0;
            for (var h = 0; h < heads; h++)
            {
                var logit = 0f;
                double logitExact = 0, absDot = 0;
                for (var d = 0; d < Dim; d++)
                {
                    logit += Fp8E4M3.ToFloat(q8[h * Dim + d]) * Fp8E4M3.ToFloat(k8[s * Dim + d]);
                    var product = (double)Fp8E4M3.ToFloat(q8[h * Dim + d]) * Fp8E4M3.ToFloat(k8[s * Dim + d]);
                    logitExact += product;
                    absDot += Math.Abs(product);
                }
                sawNegativeLogit |= logit < 0;
                sum += Math.Max(logit, 0f) * weights[h];
                exact += Math.Max(logitExact, 0) * weights[h];
                magnitude += absDot * Math.Abs(weights[h]);
            }
            Assert.Equal(BitConverter.SingleToUInt32Bits(sum * kScales[s]), BitConverter.SingleToUInt32Bits(scores[s]));
            // fp32 summation error bound: (dim + heads) · 2^-24 · Σ_h |w_h| Σ_d |q·k|, times the key scale.
            Assert.True(Math.Abs(scores[s] - exact * kScales[s]) <= (Dim + heads) * Math.Pow(2, -24) * magnitude * kScales[s]);
        }
        Assert.True(sawNegativeLogit);
    }

    [Fact]
    public void HandComputedScore()
    {
        // Two heads, two keys. Head 0 = 1.0 in dim 0; head 1 = -2.0 in dim 1.
        var q8 = new byte[2 * Dim];
        q8[0] = 0x38;            // 1.0
        q8[Dim + 1] = 0xC0;      // -2.0
        var k8 = new byte[2 * Dim];
        k8[0] = 0x40; k8[1] = 0x38;               // key 0 = (2, 1): logits (2, -2) → relu (2, 0)
        k8[Dim + 0] = 0xB8; k8[Dim + 1] = 0xB8;   // key 1 = (-1, -1): logits (-1, 2) → relu (0, 2)
        float[] weights = [0.25f, 0.125f];
        float[] kScales = [2f, 8f];
        var scores = new float[2];

        Fp8Index.Scores(q8, weights, k8, kScales, 2, 2, scores);

        Assert.Equal((2 * 0.25f + 0) * 2f, scores[0]);
        Assert.Equal((0 + 2 * 0.125f) * 8f, scores[1]);
    }
}
