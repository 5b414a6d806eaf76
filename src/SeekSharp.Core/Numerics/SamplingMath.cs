namespace SeekSharp.Core.Numerics;

/// <summary>
/// The arithmetic of on-device sampling (<see cref="Compute.IComputeDevice.SampleRows"/>), written with plain IEEE
/// operations only (no library exp/log, no fused multiply-add) so the CPU and the CUDA kernel (sampling.cu, compiled
/// with --fmad=false) compute bit-identical weights and noise and therefore draw the same token from the same seed.
/// </summary>
public static class SamplingMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693145751953125f;             // few mantissa bits: k·Ln2Hi is exact for |k| < 2^11
    private const float Ln2Lo = 1.42860682030941723212e-6f;

    /// <summary>
    /// e^x for x ≤ 0 (relative error ~1e-7), and 0 below -87 (results that would be subnormal count as zero weight).
    /// </summary>
    public static float Exp(float x)
    {
        if (!(x > -87f)) return 0f;            // also NaN -> 0: such a token is never drawn
        if (x > 0f) x = 0f;
        var k = MathF.Floor(x * Log2E + 0.5f);
        var r = (x - k * Ln2Hi) - k * Ln2Lo;  // |r| ≤ ln2/2
        var p = 1f + r * (1f + r * (0.5f + r * (0.16666667f + r * (0.041666668f + r * (0.008333334f + r * 0.0013888889f)))));
        return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(p) + ((int)k << 23));   // p · 2^k, k ≥ -126
    }

    /// <summary>-ln(u) for u in (0, 1): an Exp(1) variate from a uniform one (relative error ~1e-16).</summary>
    public static double NegLog(double u)
    {
        var bits = BitConverter.DoubleToInt64Bits(u);
        var exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        var m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);   // [1, 2)
        if (m > 1.4142135623730951) { m *= 0.5; exponent++; }
        var f = (m - 1.0) / (m + 1.0);                  // |f| ≤ 0.172
        var f2 = f * f;
        var series = 1.0 + f2 * (1.0 / 3 + f2 * (1.0 / 5 + f2 * (1.0 / 7 + f2 * (1.0 / 9 + f2 * (1.0 / 11 + f2 * (1.0 / 13 + f2 * (1.0 / 15 + f2 * (1.0 / 17 + f2 * (1.0 / 19)))))))));
        var lnM = 2.0 * f * series;
        return -(exponent * 0.6931471805599453 + lnM);
    }

    /// <summary>The uniform (0, 1) of token <paramref name="index"/> at sampling step <paramref name="counter"/> of a seeded stream (SplitMix64).</summary>
    public static double Uniform(ulong seed, ulong counter, int index)
    {
        unchecked
        {
            var x = seed + counter * 0x9E3779B97F4A7C15UL + (ulong)index * 0xD1B54A32D192ED03UL;
            x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
            x ^= x >> 27; x *= 0x94D049BB133111EBUL;
            x ^= x >> 31;
            return ((x >> 11) * 2 + 1) * (1.0 / (1UL << 54));   // odd multiples of 2^-54: never 0, never 1
        }
    }
}
