using System.Runtime.CompilerServices;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Cpu.Kernels;

/// <summary>The one-lane "vector": the portable fallback path of the kernels.</summary>
internal readonly unsafe struct ScalarFloat(float value) : ISimdFloat<ScalarFloat>
{
    private readonly float _value = value;

    public static int Count => 1;

    public static ScalarFloat Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarFloat Load(float* source) => new(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarFloat LoadFp8(byte* source) => new(Fp8Decode.ToFloat(*source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadFp8x4(byte* source, out ScalarFloat v0, out ScalarFloat v1, out ScalarFloat v2, out ScalarFloat v3)
    {
        v0 = LoadFp8(source);
        v1 = LoadFp8(source + 1);
        v2 = LoadFp8(source + 2);
        v3 = LoadFp8(source + 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarFloat LoadBf16(ushort* source) => new(BFloat16Math.ToFloat(*source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, ScalarFloat value) => *destination = value._value;

    // Not MathF.FusedMultiplyAdd: without FMA hardware that is a slow software routine. The e4m3 and bf16
    // products are exact in fp32, so fusing changes nothing there.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarFloat MultiplyAdd(ScalarFloat a, ScalarFloat b, ScalarFloat addend) => new(a._value * b._value + addend._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScalarFloat Add(ScalarFloat a, ScalarFloat b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(ScalarFloat value) => value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum4(ScalarFloat a, ScalarFloat b, ScalarFloat c, ScalarFloat d, float* destination)
    {
        destination[0] = a._value;
        destination[1] = b._value;
        destination[2] = c._value;
        destination[3] = d._value;
    }
}
