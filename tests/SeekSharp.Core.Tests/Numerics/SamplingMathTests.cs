using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public sealed class SamplingMathTests
{
    [Fact]
    public void ExpIsAccurateOnTheSamplingRangeAndZeroBelowIt()
    {
        for (var x = -86.9f; x <= 0f; x += 0.0137f)
        {
            var expected = Math.Exp(x);
            Assert.True(Math.Abs(SamplingMath.Exp(x) - expected) <= 4e-7 * expected, $"exp({x})");
        }
        Assert.Equal(1f, SamplingMath.Exp(0f));
        Assert.Equal(0f, SamplingMath.Exp(-88f));
        Assert.Equal(0f, SamplingMath.Exp(float.NaN));
    }

    [Fact]
    public void NegLogIsAccurateAndUniformStaysInsideTheOpenInterval()
    {
        for (var i = 0; i < 20000; i++)
        {
            var u = SamplingMath.Uniform(7, (ulong)i, i * 31);
            Assert.InRange(u, double.Epsilon, 1 - 1e-17);
            var expected = -Math.Log(u);
            Assert.True(Math.Abs(SamplingMath.NegLog(u) - expected) <= 1e-14 * Math.Max(expected, 1e-3), $"-ln({u})");
        }
    }
}
