using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SeekSharp.Cpu.Kernels;

/// <summary>8 fp32 lanes (AVX2 + FMA in production; the portable fallbacks let tests run it anywhere).</summary>
internal readonly unsafe struct Vector256Float(Vector256<float> value) : ISimdFloat<Vector256Float>
{
    private readonly Vector256<float> _value = value;

    public static int Count => Vector256<float>.Count;

    public static Vector256Float Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Float Load(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Float LoadFp8(byte* source)
    {
        if (Avx2.IsSupported) return new(Fp8Decode.ToFloat(Avx2.ConvertToVector256Int32((sbyte*)source))); // vpmovsxbd
        var bytes = Vector128.CreateScalar(*(long*)source).AsSByte();
        var (lower, upper) = Vector128.Widen(Vector128.WidenLower(bytes));
        return new(Fp8Decode.ToFloat(Vector256.Create(lower, upper)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadFp8x4(byte* source, out Vector256Float v0, out Vector256Float v1, out Vector256Float v2, out Vector256Float v3)
    {
        if (Avx2.IsSupported)
        {
            Fp8DecodeAvx2.Decode32(source, out var f0, out var f1, out var f2, out var f3);
            (v0, v1, v2, v3) = (new(f0), new(f1), new(f2), new(f3));
            return;
        }
        v0 = LoadFp8(source);
        v1 = LoadFp8(source + 8);
        v2 = LoadFp8(source + 16);
        v3 = LoadFp8(source + 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Float LoadBf16(ushort* source)
    {
        if (Avx2.IsSupported) return new((Avx2.ConvertToVector256Int32(source) << 16).AsSingle()); // vpmovzxwd
        var (lower, upper) = Vector128.Widen(Vector128.Load(source));
        return new((Vector256.Create(lower, upper) << 16).AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256Float value) => value._value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Float MultiplyAdd(Vector256Float a, Vector256Float b, Vector256Float addend) =>
        new(Vector256.MultiplyAddEstimate(a._value, b._value, addend._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256Float Add(Vector256Float a, Vector256Float b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256Float value) => Sum(value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum4(Vector256Float a, Vector256Float b, Vector256Float c, Vector256Float d, float* destination) =>
        Sum4(a._value, b._value, c._value, d._value, destination);

    /// <summary>Halves added first, then pairs within 128 bits (cheaper than Vector256.Sum's two separate reductions).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum(Vector256<float> value)
    {
        var s = value.GetLower() + value.GetUpper();
        s += Vector128.Shuffle(s, Vector128.Create(2, 3, 0, 1));
        s += Vector128.Shuffle(s, Vector128.Create(1, 0, 3, 2));
        return s.ToScalar();
    }

    /// <summary>Lane sums of four registers by a horizontal-add transpose: [Σa, Σb, Σc, Σd].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d, float* destination)
    {
        if (Avx.IsSupported)
        {
            // [a01 a23 b01 b23 | a45 a67 b45 b67] and the same for c, d; then [Σa0-3 Σb0-3 Σc0-3 Σd0-3 | Σ4-7 …].
            var sums = Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d));
            (sums.GetLower() + sums.GetUpper()).Store(destination);
            return;
        }
        destination[0] = Sum(a);
        destination[1] = Sum(b);
        destination[2] = Sum(c);
        destination[3] = Sum(d);
    }
}
