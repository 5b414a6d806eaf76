using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SeekSharp.Cpu.Kernels;

/// <summary>
/// The cheapest e4m3 → fp32 widening found for AVX2 (the FP8 decode GEMV is bound by it): 32 codes in 8
/// multiply/shift/and operations, no shuffles, no table, no subnormal branch. Two liberties make it that cheap:
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
/// Each 16-bit word needs one of its bytes sign-extended and shifted left by 4 (bits 4..11, the sign spread
/// over bits 12..15); masking 0x87F0 per 16-bit half then keeps sign and eeee mmm. vpmaddubsw with the
/// constant 16 against one byte of each pair and 0 against the other does that in one multiply per byte
/// parity (on the multiply ports, off the shift ports); without AVX2 two shifts do the same.
/// The NaN codes 0x7F / 0xFF give ±480 · 2^-120, as elsewhere in this backend.
/// The decode GEMV uses it only where AVX2 is present (the portable fallbacks are slow, not wrong).
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
        Vector256<int> odd, even;   // odd: bytes 1 (low word) and 3 (high word); even: bytes 0 and 2
        if (Avx2.IsSupported)
        {
            odd = Avx2.MultiplyAddAdjacent(Vector256.Create((ushort)0x1000).AsByte(), codes.AsSByte()).AsInt32();
            even = Avx2.MultiplyAddAdjacent(Vector256.Create((ushort)0x0010).AsByte(), codes.AsSByte()).AsInt32();
        }
        else
        {
            odd = (codes.AsInt16() >> 4).AsInt32();
            even = ((codes.AsInt16() << 8) >> 4).AsInt32();
        }
        v0 = ((even << 16) & mask).AsSingle();
        v1 = ((odd << 16) & mask).AsSingle();
        v2 = (even & mask).AsSingle();
        v3 = (odd & mask).AsSingle();
    }
}
