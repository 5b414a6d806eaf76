namespace SeekSharp.Core.Numerics;

/// <summary>
/// YaRN rotary-embedding precompute, following the reference <c>precompute_freqs_cis</c> op by op in fp32
/// (its Python-scalar parts — correction range, softmax factor — in double, as Python computes them).
/// </summary>
public static class YarnRope
{
    /// <summary>
    /// The rotaryDim/2 inverse frequencies f'_i:
    /// f_i = 1 / theta^(fp32(2i)/rotaryDim) (the power evaluated in double and rounded once to fp32, then an
    /// fp32 reciprocal); with YaRN, ramp_i = clamp((i − low) / (high − low), 0, 1), smooth_i = 1 − ramp_i,
    /// f'_i = (f_i / factor)·(1 − smooth_i) + f_i·smooth_i, each operation one fp32 rounding.
    /// The reference only applies YaRN when max_seq_len &gt; original_seq_len; the caller decides (applyYarn).
    /// </summary>
    public static float[] InverseFrequencies(int rotaryDim, float theta, float factor, int originalMaxPositions,
        float betaFast, float betaSlow, bool applyYarn)
    {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(rotaryDim), rotaryDim, "must be positive and even");
        var pairs = rotaryDim / 2;
        var freqs = new float[pairs];
        for (var i = 0; i < pairs; i++)
        {
            var exponent = (float)(2 * i) / rotaryDim;                       // arange(0, dim, 2) / dim in fp32
            var power = (float)Math.Pow(theta, exponent);                     // theta ** exponent, rounded to fp32
            freqs[i] = 1f / power;
        }
        if (!applyYarn) return freqs;

        var (low, high) = CorrectionRange(rotaryDim, theta, originalMaxPositions, betaFast, betaSlow);
        // Python: if min == max: max += 0.001; the divisor (max − min) reaches the fp32 kernel as a scalar.
        var span = low == high ? (float)(high + 0.001 - low) : high - low;
        for (var i = 0; i < pairs; i++)
        {
            var ramp = Math.Clamp(((float)i - low) / span, 0f, 1f);
            var smooth = 1f - ramp;
            var scaled = freqs[i] / factor * (1f - smooth);
            var kept = freqs[i] * smooth;
            freqs[i] = scaled + kept;
        }
        return freqs;
    }

    /// <summary>
    /// The reference's correction range (in double, as Python): cd(r) = dim·ln(orig / (r·2π)) / (2·ln theta),
    /// low = max(floor(cd(betaFast)), 0), high = min(ceil(cd(betaSlow)), dim − 1).
    /// Real V3.2 (64, 10000, 4096, 32, 1): (10, 23).
    /// </summary>
    public static (int Low, int High) CorrectionRange(int rotaryDim, float theta, int originalMaxPositions,
        float betaFast, float betaSlow)
    {
        var low = (int)Math.Floor(CorrectionDim(betaFast, rotaryDim, theta, originalMaxPositions));
        var high = (int)Math.Ceiling(CorrectionDim(betaSlow, rotaryDim, theta, originalMaxPositions));
        return (Math.Max(low, 0), Math.Min(high, rotaryDim - 1));
    }

    /// <summary>
    /// cos/sin of angle_i = fp32(position) · invFreq[i] (the fp32 product the reference's outer product makes).
    /// cos and sin are evaluated in double on that fp32 angle and rounded once to fp32 (correctly rounded in
    /// practice); the GPU's fp32 cosf/sinf may differ from this by an ulp, more at very large angles.
    /// cos, sin: [invFreq.Length].
    /// </summary>
    public static void CosSin(ReadOnlySpan<float> invFreq, int position, Span<float> cos, Span<float> sin)
    {
        SpanGuard.AtLeast(cos.Length, invFreq.Length, nameof(cos));
        SpanGuard.AtLeast(sin.Length, invFreq.Length, nameof(sin));
        var p = (float)position;
        for (var i = 0; i < invFreq.Length; i++)
        {
            double angle = p * invFreq[i];
            cos[i] = (float)Math.Cos(angle);
            sin[i] = (float)Math.Sin(angle);
        }
    }

    /// <summary>
    /// Attention softmax scale, in double then rounded to fp32 as the reference (a Python float):
    /// qkHeadDim^-½, times mscale'² with mscale' = 0.1·mscale·ln(factor) + 1 when YaRN is applied and factor &gt; 1.
    /// Real V3.2 (192, 40, 1): 0.13523378.
    /// </summary>
    public static float SoftmaxScale(int qkHeadDim, float factor, float mscale, bool applyYarn)
    {
        SpanGuard.Positive(qkHeadDim, nameof(qkHeadDim));
        var scale = Math.Pow(qkHeadDim, -0.5);
        if (applyYarn && factor > 1)
        {
            var m = 0.1 * mscale * Math.Log(factor) + 1.0;
            scale = scale * m * m;
        }
        return (float)scale;
    }

    private static double CorrectionDim(double rotations, int dim, double theta, int originalMaxPositions) =>
        dim * Math.Log(originalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
}
