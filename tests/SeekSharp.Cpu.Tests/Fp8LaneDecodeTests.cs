using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SeekSharp.Core.Numerics;
using SeekSharp.Cpu.Kernels;

namespace SeekSharp.Cpu.Tests;

/// <summary>The AVX2 decode-GEMV widening (scaled by 2^-120, lane-ordered) and its activation layout.</summary>
public unsafe class Fp8LaneDecodeTests
{
    [Fact]
    public void EveryCodeDecodesToItsValueTimesTwoToTheMinus120InLaneOrder()
    {
        for (var first = 0; first < 256; first += 32)
        {
            var codes = Enumerable.Range(first, 32).Select(i => (byte)i).ToArray();
            Fp8LaneDecodeAvx2.Decode32(Vector256.Create(codes), out var v0, out var v1, out var v2, out var v3);
            Vector256<float>[] registers = [v0, v1, v2, v3];
            for (var i = 0; i < 32; i++)
            {
                var code = codes[i];
                var expected = (code & 0x7F) == 0x7F ? MathF.CopySign(480f, (sbyte)code) : Fp8E4M3.ToFloat(code);
                var actual = registers[i % 4].GetElement(i / 4);
                // Undo the scale in two exact steps (2^-120 values can be fp32 subnormals).
                Assert.Equal(expected, actual * MathF.ScaleB(1f, 60) * MathF.ScaleB(1f, 60));
                Assert.Equal(float.IsNegative(expected), float.IsNegative(actual));
            }
        }
    }

    [Fact]
    public void RoundToE4m3MatchesTheReferenceEncoderAtEveryTieAndItsNeighbours()
    {
        // Midpoints between neighbouring e4m3 values (ties), one fp32 ulp either side, the values themselves,
        // beyond ±448, and random values across the whole range including subnormals.
        var magnitudes = Enumerable.Range(0, 127).Select(c => Fp8E4M3.ToFloat((byte)c)).Append(480f).ToArray();
        var probes = new List<float>();
        for (var i = 0; i + 1 < magnitudes.Length; i++)
        {
            var mid = (magnitudes[i] + magnitudes[i + 1]) / 2;
            probes.AddRange([magnitudes[i], mid, MathF.BitDecrement(mid), MathF.BitIncrement(mid)]);
        }
        probes.AddRange([448f, 460f, 464f, 1e6f, 0f, 1e-30f]);
        var random = new Random(17);
        for (var i = 0; i < 20_000; i++) probes.Add(MathF.ScaleB((float)random.NextDouble(), random.Next(-14, 10)));
        var all = probes.Concat(probes.Select(p => -p)).ToArray();
        for (var i = 0; i + 8 <= all.Length; i += 8)
        {
            var rounded = Fp8DecodeActivations.RoundToE4m3(Vector256.Create(all.AsSpan(i, 8)));
            for (var j = 0; j < 8; j++)
            {
                var expected = Fp8E4M3.ToFloat(Fp8E4M3.FromFloat(Math.Clamp(all[i + j], -448f, 448f)));
                Assert.True(expected == rounded.GetElement(j), $"{all[i + j]:R}: {rounded.GetElement(j):R} instead of {expected:R}");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PreparedRowHoldsTheReferenceCodesInLaneOrderAndDoubledScales(bool powerOfTwoScales)
    {
        if (!Avx2.IsSupported) return; // only the AVX2 decode path uses this layout
        const int inF = 300;            // two full blocks and a 44-wide one: one lane-ordered group plus a 12-value tail
        var x = RandomOperands.Activations(new Random(9), 1, inF);
        var codes = new byte[inF];
        var scales = new float[3];
        ActQuant.QuantizeRow(x, codes, scales, 128, powerOfTwoScales);
        var values = new float[inF];
        var doubled = new float[3];
        fixed (float* px = x, pv = values, pd = doubled)
        {
            Fp8DecodeActivations.Prepare(px, inF, powerOfTwoScales, pv, pd);
        }
        Assert.Equal(scales.Select(s => 2 * s), doubled);
        for (var i = 0; i < inF; i++)
        {
            var k0 = i / 128 * 128;
            var inWholeGroup = i - k0 < Math.Min(128, inF - k0) / 32 * 32;
            var slot = inWholeGroup ? k0 + (i - k0) / 32 * 32 + (i % 4) * 8 + (i % 32) / 4 : i;
            var factor = inWholeGroup ? MathF.ScaleB(1f, 119) : 0.5f;
            Assert.Equal(Fp8E4M3.ToFloat(codes[i]) * factor, values[slot]);
        }
    }
}
