using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SeekSharp.Cpu.Kernels;

/// <summary>
/// e4m3fn → fp32 with integer bit tricks (no table gathers), from the code sign-extended to int32 (so the
/// sign already sits in bit 31):
/// <list type="bullet">
/// <item>normal (exponent e ≠ 0): shifting by 20 puts eeee mmm under fp32's exponent/mantissa fields;
/// adding 120 to the exponent re-biases 7 → 127: bits = sign | (e + 120) &lt;&lt; 23 | m &lt;&lt; 20.</item>
/// <item>subnormal (e = 0, value ±m·2^-9): the same bits with exponent 121 are ±2^-6·(1 + m/8); subtracting
/// ±2^-6 (those bits with the mantissa cleared) leaves ±m·2^-9 exactly. No fp32 denormal is ever formed.</item>
/// </list>
/// Zero codes (0x00, 0x80) give +0. The NaN codes 0x7F / 0xFF decode to ±480: checkpoints and quantised
/// activations never contain them, and catching them would cost every element.
/// </summary>
internal static class Fp8Decode
{
    private const int MagnitudeAndSignMask = unchecked((int)0x87F0_0000);
    private const int Rebias = 120 << 23;
    private const int OneExponentStep = 1 << 23;
    private const int SignAndExponentMask = unchecked((int)0xFF80_0000);
    private const int ExponentOfCode = 0x78;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(byte code)
    {
        var s = (int)(sbyte)code;
        var normal = ((s << 20) & MagnitudeAndSignMask) + Rebias;
        if ((s & ExponentOfCode) != 0) return BitConverter.Int32BitsToSingle(normal);
        var bumped = normal + OneExponentStep;
        return BitConverter.Int32BitsToSingle(bumped) - BitConverter.Int32BitsToSingle(bumped & SignAndExponentMask);
    }

    /// <param name="s">8 codes, each sign-extended to int32.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToFloat(Vector256<int> s)
    {
        var normal = ((s << 20) & Vector256.Create(MagnitudeAndSignMask)) + Vector256.Create(Rebias);
        var bumped = normal + Vector256.Create(OneExponentStep);
        var subnormal = bumped.AsSingle() - (bumped & Vector256.Create(SignAndExponentMask)).AsSingle();
        var isSubnormal = Vector256.Equals(s & Vector256.Create(ExponentOfCode), Vector256<int>.Zero);
        return Vector256.ConditionalSelect(isSubnormal.AsSingle(), subnormal, normal.AsSingle());
    }

    /// <param name="s">16 codes, each sign-extended to int32.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToFloat(Vector512<int> s)
    {
        var normal = ((s << 20) & Vector512.Create(MagnitudeAndSignMask)) + Vector512.Create(Rebias);
        var bumped = normal + Vector512.Create(OneExponentStep);
        var subnormal = bumped.AsSingle() - (bumped & Vector512.Create(SignAndExponentMask)).AsSingle();
        var isSubnormal = Vector512.Equals(s & Vector512.Create(ExponentOfCode), Vector512<int>.Zero);
        return Vector512.ConditionalSelect(isSubnormal.AsSingle(), subnormal, normal.AsSingle());
    }
}
