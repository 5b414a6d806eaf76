using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SeekSharp.Core.Numerics;

/// <summary>
/// bfloat16 (1 sign, 8 exponent, 7 mantissa bits = the top half of an fp32) conversions, bit-identical to
/// PyTorch's CPU <c>c10::BFloat16</c>: round-to-nearest-even on the fp32 bit pattern, so subnormals round
/// correctly, ±Inf is kept and finite values past the largest bf16 (≈3.3895e38) round to ±Inf.
/// NaN (any sign or payload) becomes the canonical quiet NaN <c>0x7FC0</c>, as torch does.
/// The bulk methods use Vector512/Vector256 integer bit tricks with a scalar tail and give the same bits
/// as the scalar methods.
/// </summary>
public static partial class BFloat16Math
{
    /// <summary>The canonical quiet NaN torch produces for every NaN input.</summary>
    public const ushort CanonicalNaN = 0x7FC0;

    private const uint CanonicalNaNFloatBits = (uint)CanonicalNaN << 16;

    /// <summary>Widens a bf16 bit pattern to fp32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Rounds an fp32 to the nearest bf16, ties to even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float x)
    {
        if (float.IsNaN(x)) return CanonicalNaN;
        return (ushort)(RoundBits(BitConverter.SingleToUInt32Bits(x)) >> 16);
    }

    /// <summary>fp32 → bf16 → fp32, i.e. the value a bf16 tensor would hold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float x)
    {
        if (float.IsNaN(x)) return BitConverter.UInt32BitsToSingle(CanonicalNaNFloatBits);
        return BitConverter.UInt32BitsToSingle(RoundBits(BitConverter.SingleToUInt32Bits(x)) & 0xFFFF_0000u);
    }

    /// <summary>Widens bf16 bit patterns to fp32. dst must be at least as long as src.</summary>
    public static void ToFloat(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        SpanGuard.AtLeast(dst.Length, src.Length, nameof(dst));
        var done = Vector512.IsHardwareAccelerated ? ToFloatVector512(src, dst)
            : Vector256.IsHardwareAccelerated ? ToFloatVector256(src, dst) : 0;
        ToFloatScalar(src[done..], dst[done..]);
    }

    /// <summary>Rounds fp32 values to bf16 bit patterns (RNE). dst must be at least as long as src.</summary>
    public static void FromFloat(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        SpanGuard.AtLeast(dst.Length, src.Length, nameof(dst));
        var done = Vector512.IsHardwareAccelerated ? FromFloatVector512(src, dst)
            : Vector256.IsHardwareAccelerated ? FromFloatVector256(src, dst) : 0;
        FromFloatScalar(src[done..], dst[done..]);
    }

    /// <summary>Replaces every value by its bf16 rounding (still stored as fp32).</summary>
    public static void RoundInPlace(Span<float> x)
    {
        var done = Vector512.IsHardwareAccelerated ? RoundInPlaceVector512(x)
            : Vector256.IsHardwareAccelerated ? RoundInPlaceVector256(x) : 0;
        RoundInPlaceScalar(x[done..]);
    }

    /// <summary>
    /// Adds the RNE bias to a non-NaN fp32 bit pattern; the bf16 result is the upper 16 bits.
    /// bias = 0x7FFF + (lsb of the kept half): exactly-half remainders round up only when the kept part is odd.
    /// A carry out of the mantissa bumps the exponent, which is how rounding reaches the next binade or Inf.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint RoundBits(uint bits) => bits + 0x7FFFu + ((bits >> 16) & 1u);

    internal static void ToFloatScalar(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        for (var i = 0; i < src.Length; i++) dst[i] = ToFloat(src[i]);
    }

    internal static void FromFloatScalar(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        for (var i = 0; i < src.Length; i++) dst[i] = FromFloat(src[i]);
    }

    internal static void RoundInPlaceScalar(Span<float> x)
    {
        for (var i = 0; i < x.Length; i++) x[i] = Round(x[i]);
    }
}
