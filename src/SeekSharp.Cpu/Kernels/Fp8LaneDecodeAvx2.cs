using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SeekSharp.Cpu.Kernels;

/// <summary>
/// The cheapest e4m3 → fp32 widening found for AVX2 (the FP8 decode GEMV is bound by it): 32 codes in 9
/// shift/and operations, no shuffles, no table, no subnormal branch. Two liberties make it that cheap:
/// <list type="bullet">
/// <item><b>Scaled values.</b> Moving the code's bits to fp32's sign (bit 31) and to the low exponent and high
/// mantissa bits (eeee mmm → bits 26..20) with the high exponent bits zero gives exactly e4m3 · 2^-120, for
/// normals and subnormals alike (an e4m3 subnormal becomes an fp32 subnormal of the same scaled value).
/// The caller multiplies by activations stored as a · 2^119 (see <see cref="Fp8DecodeActivations"/>), so every
/// product is a8·w8 / 2 exactly and the factor 2 goes into the block scale.</item>
/// <item><b>Lane order.</b> Shifts work inside each 32-bit lane, so output register j holds the codes at
/// byte j of every dword (codes j, j+4, …, j+28). Summation order inside a K block is free (IBackend.Linear),
/// so the activations are stored in the same order instead of reordering the weights.</item>
/// </list>
/// A 16-bit arithmetic shift right by 4 puts the high byte of each word at bits 4..11 with its sign spread
/// over bits 12..15; masking 0x87F0 per 16-bit half keeps sign and eeee mmm. The low bytes take one extra
/// 16-bit shift left by 8. The NaN codes 0x7F / 0xFF give ±480 · 2^-120, as elsewhere in this backend.
/// Used only where AVX2 is present (the portable Vector256 fallbacks would be slow, not wrong).
/// </summary>
internal static class Fp8LaneDecodeAvx2
{
    /// <summary>fp32 fields that receive the code: sign, low 4 exponent bits, high 3 mantissa bits.</summary>
    private const int CodeFields = unchecked((int)0x87F0_0000);

    /// <summary>Codes per <see cref="Decode32"/> call.</summary>
    public const int Group = 32;

    /// <summary>v[j] lane i = e4m3(codes[4i + j]) · 2^-120.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode32(Vector256<byte> codes,
        out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3)
    {
        var mask = Vector256.Create(CodeFields);
        var odd = (codes.AsInt16() >> 4).AsInt32();           // bytes 1 (low word) and 3 (high word)
        var even = ((codes.AsInt16() << 8) >> 4).AsInt32();   // bytes 0 and 2
        v0 = ((even << 16) & mask).AsSingle();
        v1 = ((odd << 16) & mask).AsSingle();
        v2 = (even & mask).AsSingle();
        v3 = (odd & mask).AsSingle();
    }
}
