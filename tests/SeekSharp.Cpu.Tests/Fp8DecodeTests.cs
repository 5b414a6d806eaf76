using SeekSharp.Core.Numerics;
using SeekSharp.Cpu.Kernels;

namespace SeekSharp.Cpu.Tests;

/// <summary>The bit-trick e4m3 / bf16 decoders of every register width against the Numerics table.</summary>
public unsafe class Fp8DecodeTests
{
    private static readonly byte[] s_allCodes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    [Fact]
    public void ScalarDecodeMatchesTableForEveryFiniteCode()
    {
        foreach (var code in s_allCodes)
        {
            if ((code & 0x7F) == 0x7F) continue;
            Assert.Equal(Fp8E4M3.ToFloat(code), Fp8Decode.ToFloat(code));
        }
    }

    [Fact]
    public void NaNCodesDecodeToPlusMinus480AsDocumented()
    {
        Assert.Equal(480f, Fp8Decode.ToFloat(0x7F));
        Assert.Equal(-480f, Fp8Decode.ToFloat(0xFF));
    }

    [Fact]
    public void SubnormalsDecodeToNormalFp32Values()
    {
        for (var code = 1; code < 8; code++)
        {
            var value = Fp8Decode.ToFloat((byte)code);
            Assert.Equal(MathF.ScaleB(code, -9), value);
            Assert.True(float.IsNormal(value));
            Assert.Equal(-value, Fp8Decode.ToFloat((byte)(code | 0x80)));
        }
    }

    [Fact]
    public void Vector256DecodeMatchesScalar() => AssertVectorDecode<Vector256Float>();

    [Fact]
    public void Vector512DecodeMatchesScalar() => AssertVectorDecode<Vector512Float>();

    [Fact]
    public void Bf16WideningMatchesScalarForEveryWidth()
    {
        var random = new Random(4);
        var bits = new ushort[101];
        for (var i = 0; i < bits.Length; i++) bits[i] = (ushort)random.Next(65536);
        var expected = bits.Select(BFloat16Math.ToFloat).ToArray();
        AssertSameBits(expected, DecodeBf16<ScalarFloat>(bits));
        AssertSameBits(expected, DecodeBf16<Vector256Float>(bits));
        AssertSameBits(expected, DecodeBf16<Vector512Float>(bits));
    }

    private static void AssertVectorDecode<TVec>() where TVec : unmanaged, ISimdFloat<TVec>
    {
        var decoded = new float[256];
        fixed (byte* src = s_allCodes)
        fixed (float* dst = decoded)
        {
            DotKernels<TVec>.Decode<Fp8Format>(src, dst, 256);
        }
        foreach (var code in s_allCodes) Assert.Equal(Fp8Decode.ToFloat(code), decoded[code]);
    }

    private static float[] DecodeBf16<TVec>(ushort[] bits) where TVec : unmanaged, ISimdFloat<TVec>
    {
        var result = new float[bits.Length];
        fixed (ushort* src = bits)
        fixed (float* dst = result)
        {
            DotKernels<TVec>.Decode<Bf16Format>(src, dst, bits.Length);
        }
        return result;
    }

    private static void AssertSameBits(float[] expected, float[] actual)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected[i]), BitConverter.SingleToUInt32Bits(actual[i]));
    }
}
