using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class Ue8m0Tests
{
    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(2f, 2f)]
    [InlineData(0.5f, 0.5f)]
    [InlineData(1.0000001f, 2f)]          // one ulp above 1
    [InlineData(0.99999994f, 1f)]         // one ulp below 1
    [InlineData(1.5f, 2f)]
    [InlineData(3f, 4f)]
    [InlineData(0.75f, 1f)]
    [InlineData(1e-3f, 0.001953125f)]     // 2^-10 < 1e-3 → 2^-9
    [InlineData(1.7014118e38f, 1.7014118e38f)] // 2^127 stays
    public void RoundsUpToTheNextPowerOfTwo(float s, float expected) =>
        Assert.Equal(expected, Ue8m0.RoundUpToPowerOfTwo(s));

    [Fact]
    public void MatchesCeilOfLog2ForRandomNormalScales()
    {
        var random = new Random(9);
        for (var n = 0; n < 100_000; n++)
        {
            var s = (float)Math.Pow(2, random.NextDouble() * 200 - 100);
            var expected = Math.Pow(2, Math.Ceiling(Math.Log2(s)));
            // Log2 of an exact power of two is exact in double, so the ceiling is reliable.
            Assert.Equal(expected, (double)Ue8m0.RoundUpToPowerOfTwo(s));
        }
    }

    [Fact]
    public void EdgeCasesAreDocumented()
    {
        Assert.Equal(0u, BitConverter.SingleToUInt32Bits(Ue8m0.RoundUpToPowerOfTwo(0f)));
        Assert.Equal(0u, BitConverter.SingleToUInt32Bits(Ue8m0.RoundUpToPowerOfTwo(-0f)));
        Assert.Equal(MathF.ScaleB(1, -126), Ue8m0.RoundUpToPowerOfTwo(float.Epsilon));       // subnormal → 2^-126
        Assert.Equal(MathF.ScaleB(1, -126), Ue8m0.RoundUpToPowerOfTwo(MathF.ScaleB(1, -127)));
        Assert.Equal(float.PositiveInfinity, Ue8m0.RoundUpToPowerOfTwo(float.MaxValue));
        Assert.Equal(float.PositiveInfinity, Ue8m0.RoundUpToPowerOfTwo(float.PositiveInfinity));
        Assert.True(float.IsNaN(Ue8m0.RoundUpToPowerOfTwo(float.NaN)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ue8m0.RoundUpToPowerOfTwo(-1f));
    }
}
