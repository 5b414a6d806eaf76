using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class Fp8E4M3Tests
{
    /// <summary>The format definition, computed here independently of the library.</summary>
    private static double DefinitionValue(int code)
    {
        var sign = (code & 0x80) != 0 ? -1.0 : 1.0;
        var e = (code >> 3) & 0xF;
        var m = code & 0x7;
        if (e == 15 && m == 7) return double.NaN;
        return e == 0 ? sign * Math.Pow(2, -6) * (m / 8.0) : sign * Math.Pow(2, e - 7) * (1 + m / 8.0);
    }

    [Fact]
    public void DecodesAll256CodesPerTheFormatDefinition()
    {
        Assert.Equal(256, Fp8E4M3.DecodeTable.Length);
        for (var code = 0; code < 256; code++)
        {
            var expected = DefinitionValue(code);
            var actual = Fp8E4M3.ToFloat((byte)code);
            if (double.IsNaN(expected)) Assert.True(float.IsNaN(actual), $"code {code:X2}");
            else Assert.Equal(expected, (double)actual);
            Assert.Equal(BitConverter.SingleToUInt32Bits(actual), BitConverter.SingleToUInt32Bits(Fp8E4M3.DecodeTable[code]));
        }
        Assert.Equal(448f, Fp8E4M3.ToFloat(0x7E));
        Assert.Equal(-448f, Fp8E4M3.ToFloat(0xFE));
        Assert.Equal(MathF.ScaleB(1, -9), Fp8E4M3.ToFloat(0x01));
        Assert.Equal(MathF.ScaleB(1, -6), Fp8E4M3.ToFloat(0x08));
        Assert.True(float.IsNegative(Fp8E4M3.ToFloat(0x80)) && Fp8E4M3.ToFloat(0x80) == 0);
    }

    [Fact]
    public void BulkDecodeEqualsTable()
    {
        var codes = Enumerable.Range(0, 256).Select(c => (byte)c).ToArray();
        var values = new float[256];
        Fp8E4M3.ToFloat(codes, values);
        for (var c = 0; c < 256; c++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(Fp8E4M3.ToFloat((byte)c)), BitConverter.SingleToUInt32Bits(values[c]));
    }

    [Fact]
    public void EncodeOfDecodeIsIdentityForEveryNonNaNCode()
    {
        for (var code = 0; code < 256; code++)
        {
            if (code is 0x7F or 0xFF) continue;
            Assert.Equal((byte)code, Fp8E4M3.FromFloat(Fp8E4M3.ToFloat((byte)code)));
        }
    }

    [Fact]
    public void MidpointsBetweenNeighboursRoundToTheEvenCode()
    {
        // For every pair of adjacent non-negative codes (including 0→2^-9, the subnormal/normal boundary 0x07→0x08
        // and every binade edge), the exact midpoint goes to the code whose mantissa LSB is 0, and the next fp32
        // values on either side go to the nearer code. Mirrored for negatives.
        for (var code = 0; code < 0x7E; code++)
        {
            var lo = DefinitionValue(code);
            var hi = DefinitionValue(code + 1);
            var mid = (float)((lo + hi) / 2);            // exact: midpoints need at most 5 significant bits
            Assert.Equal((lo + hi) / 2, (double)mid);
            var even = (code & 1) == 0 ? code : code + 1;
            Assert.Equal((byte)even, Fp8E4M3.FromFloat(mid));
            Assert.Equal((byte)code, Fp8E4M3.FromFloat(MathF.BitDecrement(mid)));
            Assert.Equal((byte)(code + 1), Fp8E4M3.FromFloat(MathF.BitIncrement(mid)));
            Assert.Equal((byte)(even | 0x80), Fp8E4M3.FromFloat(-mid));
            Assert.Equal((byte)((code + 1) | 0x80), Fp8E4M3.FromFloat(-MathF.BitIncrement(mid)));
        }
    }

    [Theory]
    [InlineData(448f, 0x7E)]
    [InlineData(-448f, 0xFE)]
    [InlineData(432f, 0x7E)]          // midpoint 416..448: 0x7D is odd → up to 448
    [InlineData(416f, 0x7D)]
    [InlineData(449f, 0x7E)]          // saturates
    [InlineData(464f, 0x7E)]          // midpoint between 448 and the NaN code's slot: saturates, never NaN
    [InlineData(470f, 0x7E)]
    [InlineData(480f, 0x7E)]
    [InlineData(1e30f, 0x7E)]
    [InlineData(-1e30f, 0xFE)]
    [InlineData(float.PositiveInfinity, 0x7E)]
    [InlineData(float.NegativeInfinity, 0xFE)]
    [InlineData(float.MaxValue, 0x7E)]
    [InlineData(0f, 0x00)]
    [InlineData(-0f, 0x80)]
    [InlineData(1f, 0x38)]
    [InlineData(-1.0625f, 0xB8)]      // 1 + 1/16 is the tie between 1 (even) and 1.125
    [InlineData(1.1875f, 0x3A)]       // tie between 1.125 (odd) and 1.25 → 1.25
    [InlineData(1.96875f, 0x40)]      // tie between 1.875 (odd) and 2 → carries into the next binade
    [InlineData(0.0009765625f, 0x00)] // 2^-10: half the smallest subnormal, tie to 0
    [InlineData(-0.0009765625f, 0x80)]
    [InlineData(0.00146484375f, 0x01)] // 1.5·2^-10: nearer 2^-9
    [InlineData(0.0029296875f, 0x02)]  // 1.5·2^-9: tie between m=1 (odd) and m=2 → 2
    [InlineData(0.0146484375f, 0x08)]  // 7.5·2^-9: tie between 0x07 (odd) and 2^-6 → smallest normal
    [InlineData(1e-30f, 0x00)]
    [InlineData(1e-45f, 0x00)]         // fp32 subnormal
    public void FromFloatKnownValues(float x, int expected) => Assert.Equal((byte)expected, Fp8E4M3.FromFloat(x));

    [Fact]
    public void NaNKeepsItsSign()
    {
        Assert.Equal((byte)0x7F, Fp8E4M3.FromFloat(BitConverter.UInt32BitsToSingle(0x7FC0_0000u)));
        Assert.Equal((byte)0xFF, Fp8E4M3.FromFloat(BitConverter.UInt32BitsToSingle(0xFFC0_0000u)));
        Assert.Equal((byte)0x7F, Fp8E4M3.FromFloat(BitConverter.UInt32BitsToSingle(0x7F80_0001u)));
    }

    [Fact]
    public void RandomValuesRoundToTheNearestCodeTiesToEven()
    {
        // Independent oracle: brute-force nearest finite code in double; ties pick the even mantissa.
        var random = new Random(5);
        var src = new float[50_000];
        for (var i = 0; i < src.Length; i++)
        {
            var magnitude = Math.Pow(2, random.NextDouble() * 20 - 12); // 2^-12 .. 2^8
            src[i] = (float)(random.Next(2) == 0 ? magnitude : -magnitude);
        }
        var codes = new byte[src.Length];
        Fp8E4M3.FromFloat(src, codes);
        for (var i = 0; i < src.Length; i++)
        {
            Assert.Equal(NearestCode(src[i]), codes[i]);
            Assert.Equal(codes[i], Fp8E4M3.FromFloat(src[i]));
        }
    }

    private static byte NearestCode(float x)
    {
        var clamped = Math.Clamp((double)x, -448, 448);
        var best = -1;
        var bestDistance = double.PositiveInfinity;
        for (var code = 0; code < 256; code++)
        {
            var value = DefinitionValue(code);
            if (double.IsNaN(value)) continue;
            if (value == 0 && (code == 0x80) != double.IsNegative(clamped)) continue; // zero keeps x's sign
            var distance = Math.Abs(clamped - value);
            if (distance < bestDistance || (distance == bestDistance && (code & 1) == 0))
            {
                best = code;
                bestDistance = distance;
            }
        }
        return (byte)best;
    }
}
