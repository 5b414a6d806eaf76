using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SeekSharp.Cpu.Kernels;

/// <summary>16 fp32 lanes (AVX-512 in production; in software elsewhere, which lets tests run it anywhere).</summary>
internal readonly unsafe struct Vector512Float(Vector512<float> value) : ISimdFloat<Vector512Float>
{
    private readonly Vector512<float> _value = value;

    public static int Count => Vector512<float>.Count;

    public static Vector512Float Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Float Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Float LoadFp8(byte* source)
    {
        if (Avx512F.IsSupported) return new(Fp8Decode.ToFloat(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)source))));
        var (lowerShorts, upperShorts) = Vector128.Widen(Vector128.Load((sbyte*)source));
        var (a, b) = Vector128.Widen(lowerShorts);
        var (c, d) = Vector128.Widen(upperShorts);
        return new(Fp8Decode.ToFloat(Vector512.Create(Vector256.Create(a, b), Vector256.Create(c, d))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadFp8x4(byte* source, out Vector512Float v0, out Vector512Float v1, out Vector512Float v2, out Vector512Float v3)
    {
        v0 = LoadFp8(source);
        v1 = LoadFp8(source + 16);
        v2 = LoadFp8(source + 32);
        v3 = LoadFp8(source + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Float LoadBf16(ushort* source)
    {
        if (Avx512F.IsSupported) return new((Avx512F.ConvertToVector512Int32(Vector256.Load(source)) << 16).AsSingle());
        var (lower, upper) = Vector256.Widen(Vector256.Load(source));
        return new((Vector512.Create(lower, upper) << 16).AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector512Float value) => value._value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Float MultiplyAdd(Vector512Float a, Vector512Float b, Vector512Float addend) =>
        new(Vector512.MultiplyAddEstimate(a._value, b._value, addend._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512Float Add(Vector512Float a, Vector512Float b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512Float value) => Vector256Float.Sum(value._value.GetLower() + value._value.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum4(Vector512Float a, Vector512Float b, Vector512Float c, Vector512Float d, float* destination) =>
        Vector256Float.Sum4(
            a._value.GetLower() + a._value.GetUpper(), b._value.GetLower() + b._value.GetUpper(),
            c._value.GetLower() + c._value.GetUpper(), d._value.GetLower() + d._value.GetUpper(), destination);
}
