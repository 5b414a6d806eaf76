using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Cpu.Kernels;

/// <summary>
/// act_quant of one activation row, laid out for <see cref="Fp8GemvAvx2"/> (the partner of
/// <see cref="Fp8LaneDecodeAvx2"/>'s scaled, lane-ordered weights). The codes are never stored: each block's
/// scale is the reference's (<see cref="ActQuant.Scale"/>), and every value is rounded to e4m3 exactly as
/// <see cref="Fp8E4M3.FromFloat(float)"/> does (fp32 division, clamp to ±448, round to nearest even), with
/// SIMD bit arithmetic — the scalar quantiser costs about as much as streaming a 2 MB weight matrix's tenth.
/// <list type="bullet">
/// <item>Every whole group of 32 values inside a 128-wide K block is stored in the decoder's lane order
/// (values j, j+4, …, j+28 for j = 0..3) as a · 2^119, so a product with a decoded weight (w · 2^-120) is
/// a·w / 2 exactly (a · 2^120 would overflow fp32 for |a| ≥ 256).</item>
/// <item>The rest of a block (fewer than 32 values, only at the end of In) stays in natural order as a / 2,
/// for the scalar tail that multiplies by the exact weight value: again a·w / 2.</item>
/// <item>Block scales are stored doubled, which undoes the halving exactly: (p/2)·(2s) = p·s in fp32.</item>
/// </list>
/// </summary>
internal static unsafe class Fp8DecodeActivations
{
    private const int Block = LinearDriver.Block;
    private const int Group = Fp8LaneDecodeAvx2.Group;

    /// <summary>Writes values[In] and scaledScales[ceil(In/128)] for the row x[In].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per decode linear: no tier-0 code
    public static void Prepare(float* x, int inF, bool powerOfTwoScales, float* values, float* scaledScales)
    {
        var ordered = stackalloc float[Group];
        var kBlocks = (inF + Block - 1) / Block;
        for (var kb = 0; kb < kBlocks; kb++)
        {
            var k0 = kb * Block;
            var width = Math.Min(Block, inF - k0);
            var scale = ActQuant.Scale(AbsMax(x + k0, width), powerOfTwoScales);
            var divisor = Vector256.Create(scale);
            var bias = Vector256.Create(MathF.ScaleB(1f, 119));
            var whole = width / Group * Group;
            for (var g = k0; g < k0 + whole; g += Group)
            {
                for (var v = 0; v < Group; v += 8)
                    (RoundToE4m3(Vector256.Load(x + g + v) / divisor) * bias).Store(ordered + v);
                for (var i = 0; i < Group; i++) values[g + (i & 3) * 8 + (i >> 2)] = ordered[i];
            }
            for (var i = k0 + whole; i < k0 + width; i++)
            {
                var q = Math.Clamp(x[i] / scale, -Fp8E4M3.MaxFinite, Fp8E4M3.MaxFinite);
                values[i] = Fp8Decode.ToFloat(Fp8E4M3.FromFloat(q)) * 0.5f;
            }
            scaledScales[kb] = scale * 2f;
        }
    }

    /// <summary>max |x[i]| for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float AbsMax(float* x, int length)
    {
        var max = Vector256<float>.Zero;
        var i = 0;
        for (; i + 8 <= length; i += 8) max = Vector256.Max(max, Vector256.Abs(Vector256.Load(x + i)));
        var result = Vector128.Max(max.GetLower(), max.GetUpper());
        result = Vector128.Max(result, Vector128.Shuffle(result, Vector128.Create(2, 3, 0, 1)));
        result = Vector128.Max(result, Vector128.Shuffle(result, Vector128.Create(1, 0, 3, 2)));
        var amax = result.ToScalar();
        for (; i < length; i++) amax = MathF.Max(amax, MathF.Abs(x[i]));
        return amax;
    }

    /// <summary>
    /// The e4m3 value nearest to y (ties to even), y clamped to ±448 — the value of Fp8E4M3.FromFloat(y), as fp32.
    /// Normal range: round the fp32 mantissa to 3 bits by integer addition (a carry rolls into the exponent).
    /// Subnormal range (|y| &lt; 2^-6, steps of 2^-9): adding 2^14, whose ulp is 2^-9, rounds in the fp32 adder.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> RoundToE4m3(Vector256<float> y)
    {
        var magnitude = Vector256.Min(Vector256.Abs(y), Vector256.Create(Fp8E4M3.MaxFinite));
        var bits = magnitude.AsUInt32();
        var normal = ((bits + Vector256.Create(0x7_FFFFu) + ((bits >> 20) & Vector256.Create(1u))) & Vector256.Create(0xFFF0_0000u)).AsSingle();
        var magic = Vector256.Create(16384f);
        var subnormal = (magnitude + magic) - magic;
        var isSubnormal = Vector256.LessThan(magnitude, Vector256.Create(MathF.ScaleB(1f, -6)));
        var rounded = Vector256.ConditionalSelect(isSubnormal, subnormal, normal);
        return rounded | (y & Vector256.Create(-0f));
    }
}
