using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class BFloat16MathTests
{
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    [Theory]
    // Exactly representable values keep their bits.
    [InlineData(0x3F80_0000u, (ushort)0x3F80)]            // 1.0
    [InlineData(0xBF80_0000u, (ushort)0xBF80)]            // -1.0
    [InlineData(0x0000_0000u, (ushort)0x0000)]            // +0
    [InlineData(0x8000_0000u, (ushort)0x8000)]            // -0
    // Below half an ulp: down; above: up.
    [InlineData(0x3F80_7FFFu, (ushort)0x3F80)]
    [InlineData(0x3F80_8001u, (ushort)0x3F81)]
    // Exact ties go to the even mantissa.
    [InlineData(0x3F80_8000u, (ushort)0x3F80)]            // 1 + 2^-8: tie, 0x3F80 is even → down
    [InlineData(0x3F81_8000u, (ushort)0x3F82)]            // tie, 0x3F81 is odd → up
    [InlineData(0xBF81_8000u, (ushort)0xBF82)]            // negative tie → away from zero when odd
    // Mantissa carry into the next binade.
    [InlineData(0x3FFF_8000u, (ushort)0x4000)]            // 1.9961 + tie, odd → 2.0
    // Largest bf16 and overflow.
    [InlineData(0x7F7F_0000u, (ushort)0x7F7F)]            // max bf16 ≈ 3.3895e38
    [InlineData(0x7F7F_7FFFu, (ushort)0x7F7F)]            // just below the tie: stays finite
    [InlineData(0x7F7F_8000u, (ushort)0x7F80)]            // tie at max, odd → +Inf
    [InlineData(0x7F7F_FFFFu, (ushort)0x7F80)]            // float.MaxValue → +Inf (torch does the same)
    [InlineData(0xFF7F_FFFFu, (ushort)0xFF80)]            // -float.MaxValue → -Inf
    [InlineData(0x7F80_0000u, (ushort)0x7F80)]            // +Inf kept
    [InlineData(0xFF80_0000u, (ushort)0xFF80)]            // -Inf kept
    // Subnormals round on the same bit grid.
    [InlineData(0x0000_0001u, (ushort)0x0000)]            // smallest fp32 subnormal → +0
    [InlineData(0x8000_0001u, (ushort)0x8000)]            // → -0
    [InlineData(0x0001_8000u, (ushort)0x0002)]            // subnormal tie, odd → up
    [InlineData(0x0000_8000u, (ushort)0x0000)]            // subnormal tie, even → down
    [InlineData(0x0000_8001u, (ushort)0x0001)]            // just above the tie → smallest bf16 subnormal
    [InlineData(0x007F_FFFFu, (ushort)0x0080)]            // largest fp32 subnormal → smallest normal 2^-126
    public void FromFloatRoundsToNearestEven(uint inputBits, ushort expected)
    {
        Assert.Equal(expected, BFloat16Math.FromFloat(F(inputBits)));
        Assert.Equal(BitConverter.UInt32BitsToSingle((uint)expected << 16), BFloat16Math.Round(F(inputBits)));
    }

    [Theory]
    [InlineData(0x7FC0_0000u)]   // canonical quiet NaN
    [InlineData(0xFFC0_0000u)]   // negative quiet NaN
    [InlineData(0x7F80_0001u)]   // signalling NaN whose payload sits entirely in the dropped half
    [InlineData(0x7FFF_FFFFu)]   // NaN with full payload (naive rounding would carry into the sign)
    public void NaNBecomesCanonicalQuietNaN(uint nanBits)
    {
        Assert.Equal(BFloat16Math.CanonicalNaN, BFloat16Math.FromFloat(F(nanBits)));
        Assert.True(float.IsNaN(BFloat16Math.Round(F(nanBits))));
        Assert.True(float.IsNaN(BFloat16Math.ToFloat(BFloat16Math.FromFloat(F(nanBits)))));
    }

    [Fact]
    public void ToFloatIsTheUpperHalfOfAnFp32()
    {
        Assert.Equal(1f, BFloat16Math.ToFloat(0x3F80));
        Assert.Equal(-2f, BFloat16Math.ToFloat(0xC000));
        Assert.Equal(float.PositiveInfinity, BFloat16Math.ToFloat(0x7F80));
        Assert.Equal(MathF.ScaleB(1f, -133), BFloat16Math.ToFloat(0x0001)); // smallest bf16 subnormal 2^-133
        Assert.Equal(3.3895313892515355e38f, BFloat16Math.ToFloat(0x7F7F));
    }

    [Fact]
    public void EveryBf16SurvivesARoundTrip()
    {
        for (var bits = 0; bits <= 0xFFFF; bits++)
        {
            var value = BFloat16Math.ToFloat((ushort)bits);
            if (float.IsNaN(value)) continue;
            Assert.Equal((ushort)bits, BFloat16Math.FromFloat(value));
        }
    }

    [Fact]
    public void RoundingMatchesAnIndependentNearestNeighbourSearch()
    {
        // Independent oracle: the two bf16 neighbours of x (truncation and next-up), compared in double.
        var random = new Random(7);
        for (var n = 0; n < 200_000; n++)
        {
            var x = F((uint)random.NextInt64(0, 0x7F80_0000L) | (random.Next(2) == 0 ? 0u : 0x8000_0000u));
            var bits = BitConverter.SingleToUInt32Bits(x);
            var below = bits & 0xFFFF_0000u;             // toward zero
            var above = below + 0x1_0000u;               // away from zero (may be Inf)
            var dBelow = Math.Abs((double)x - F(below));
            var dAbove = Math.Abs((double)x - ValueOf(above));
            uint expected = dBelow < dAbove ? below
                : dAbove < dBelow ? above
                : ((below >> 16) & 1) == 0 ? below : above;
            Assert.Equal((ushort)(expected >> 16), BFloat16Math.FromFloat(x));
        }

        // The value one step above the largest bf16 is 2^128: use that (as a double) for the distance,
        // which is what IEEE overflow rounding does.
        static double ValueOf(uint bits) =>
            (bits & 0x7FFF_FFFFu) == 0x7F80_0000u ? Math.CopySign(Math.Pow(2, 128), F(bits)) : F(bits);
    }

    [Fact]
    public void BulkPathsMatchTheScalarPathAtEveryWidth()
    {
        var inputs = BulkInputs();
        var scalarBits = new ushort[inputs.Length];
        BFloat16Math.FromFloatScalar(inputs, scalarBits);

        foreach (var vectorized in new Func<ReadOnlySpan<float>, Span<ushort>, int>[]
                 { BFloat16Math.FromFloatVector256, BFloat16Math.FromFloatVector512, (s, d) => { BFloat16Math.FromFloat(s, d); return s.Length; } })
        {
            var bits = new ushort[inputs.Length];
            var done = vectorized(inputs, bits);
            Assert.True(done > inputs.Length - 64);
            BFloat16Math.FromFloatScalar(inputs.AsSpan(done), bits.AsSpan(done));
            Assert.Equal(scalarBits, bits);
        }

        var scalarWide = new float[inputs.Length];
        BFloat16Math.ToFloatScalar(scalarBits, scalarWide);
        foreach (var vectorized in new Func<ReadOnlySpan<ushort>, Span<float>, int>[]
                 { BFloat16Math.ToFloatVector256, BFloat16Math.ToFloatVector512, (s, d) => { BFloat16Math.ToFloat(s, d); return s.Length; } })
        {
            var wide = new float[inputs.Length];
            var done = vectorized(scalarBits, wide);
            BFloat16Math.ToFloatScalar(scalarBits.AsSpan(done), wide.AsSpan(done));
            AssertSameBits(scalarWide, wide);
        }

        var scalarRounded = (float[])inputs.Clone();
        BFloat16Math.RoundInPlaceScalar(scalarRounded);
        AssertSameBits(scalarWide, scalarRounded);
        foreach (var vectorized in new Func<float[], int>[]
                 { x => BFloat16Math.RoundInPlaceVector256(x), x => BFloat16Math.RoundInPlaceVector512(x), x => { BFloat16Math.RoundInPlace(x); return x.Length; } })
        {
            var rounded = (float[])inputs.Clone();
            var done = vectorized(rounded);
            BFloat16Math.RoundInPlaceScalar(rounded.AsSpan(done));
            AssertSameBits(scalarRounded, rounded);
        }
    }

    [Fact]
    public void BulkFromFloatHandlesEveryTailLength()
    {
        var random = new Random(3);
        for (var length = 0; length < 80; length++)
        {
            var x = new float[length];
            for (var i = 0; i < length; i++) x[i] = (float)(random.NextDouble() * 2 - 1) * 1000f;
            var bits = new ushort[length];
            BFloat16Math.FromFloat(x, bits);
            for (var i = 0; i < length; i++) Assert.Equal(BFloat16Math.FromFloat(x[i]), bits[i]);
        }
    }

    private static float[] BulkInputs()
    {
        var random = new Random(11);
        var edges = new[]
        {
            0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, F(0xFFC0_0000u),
            F(0x7F80_0001u), F(0x7FFF_FFFFu), float.MaxValue, -float.MaxValue, F(0x7F7F_8000u), F(0x7F7F_7FFFu),
            F(0x3F80_8000u), F(0x3F81_8000u), F(0x0000_0001u), F(0x0001_8000u), F(0x007F_FFFFu), float.Epsilon,
        };
        var inputs = new float[4096 + 37]; // not a multiple of any vector width
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = i < edges.Length * 3 ? edges[i % edges.Length]
                : random.Next(4) == 0 ? F((uint)random.NextInt64(0, 1L << 32))      // any bit pattern
                : F(((uint)random.Next(0, 1 << 16) << 16) | 0x8000u | (uint)random.Next(2)); // ties and near-ties
        }
        return inputs;
    }

    private static void AssertSameBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected[i]), BitConverter.SingleToUInt32Bits(actual[i]));
    }
}
