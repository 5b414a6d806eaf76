using System.Runtime.CompilerServices;

namespace SeekSharp.Core.Numerics;

/// <summary>
/// UE8M0 scales (exponent-only, 2^(e-127)). DeepSeek stores them as fp32 but constrains activation and KV
/// scales to powers of two with the reference kernel's bit trick (<c>fast_round_scale</c>).
/// </summary>
public static class Ue8m0
{
    /// <summary>
    /// The smallest power of two ≥ s, computed exactly as the reference: with exponent field e and mantissa
    /// field m of s, the result has exponent field e + [m ≠ 0] and zero mantissa, i.e. 2^(e-127+[m≠0]).
    /// Exact powers of two are returned unchanged. Edge cases (unreachable from act_quant, whose input is
    /// ≥ 1e-4/448): +0 and -0 → +0; a subnormal → 2^-126 (its true power-of-two ceiling); a finite value above
    /// 2^127 → +Inf (2^128 is not representable; the bit trick carries into the Inf pattern); +Inf → +Inf;
    /// NaN → NaN (the raw trick would give -0 here). Negative inputs are rejected.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">s &lt; 0.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundUpToPowerOfTwo(float s)
    {
        if (float.IsNaN(s)) return s;
        if (s < 0) ThrowNegative(s);
        var bits = BitConverter.SingleToUInt32Bits(s) & 0x7FFF_FFFFu; // -0 → +0
        var exponent = bits >> 23;
        var mantissaNonZero = (bits & 0x7F_FFFFu) != 0 ? 1u : 0u;
        return BitConverter.UInt32BitsToSingle((exponent + mantissaNonZero) << 23);
    }

    private static void ThrowNegative(float s) =>
        throw new ArgumentOutOfRangeException(nameof(s), s, "a ue8m0 scale must be non-negative");
}
