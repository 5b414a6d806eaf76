using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

/// <summary>The YaRN precompute against spec §1.5's table (real V3.2: dim 64, θ 10000, factor 40, original 4096, β 32/1).</summary>
public class YarnRopeTests
{
    private static readonly double[] s_specTable =
    [
        1.000000e+00, 7.498942e-01, 5.623413e-01, 4.216965e-01, 3.162278e-01, 2.371374e-01, 1.778279e-01, 1.333521e-01,
        1.000000e-01, 7.498942e-02, 5.623413e-02, 3.900693e-02, 2.687936e-02, 1.837815e-02, 1.244796e-02, 8.334509e-03,
        5.500000e-03, 3.561997e-03, 2.249365e-03, 1.370514e-03, 7.905694e-04, 4.149904e-04, 1.778279e-04, 3.333804e-05,
        2.500000e-05, 1.874736e-05, 1.405853e-05, 1.054241e-05, 7.905694e-06, 5.928434e-06, 4.445699e-06, 3.333804e-06,
    ];

    [Fact]
    public void RealConfigFrequenciesMatchTheSpecTable()
    {
        var f = YarnRope.InverseFrequencies(64, 10000f, 40f, 4096, 32f, 1f, applyYarn: true);
        Assert.Equal(32, f.Length);
        for (var i = 0; i < 32; i++)
            Assert.True(Math.Abs(f[i] - s_specTable[i]) <= 2e-6 * s_specTable[i], $"f'[{i}] = {f[i]:E6}, spec {s_specTable[i]:E6}");
    }

    [Fact]
    public void CorrectionRangeIsTenToTwentyThree() =>
        Assert.Equal((10, 23), YarnRope.CorrectionRange(64, 10000f, 4096, 32f, 1f));

    [Fact]
    public void WithoutYarnTheBaseFrequenciesAreKept()
    {
        var f = YarnRope.InverseFrequencies(64, 10000f, 40f, 4096, 32f, 1f, applyYarn: false);
        for (var i = 0; i < 32; i++) Assert.Equal(Math.Pow(10000, -2.0 * i / 64), f[i], 1e-6 * Math.Pow(10000, -2.0 * i / 64) + 1e-12);
    }

    [Fact]
    public void SoftmaxScaleAppliesMscaleSquared()
    {
        Assert.Equal(0.13523378f, YarnRope.SoftmaxScale(192, 40f, 1f, applyYarn: true), 1e-7f);
        Assert.Equal((float)Math.Pow(192, -0.5), YarnRope.SoftmaxScale(192, 40f, 1f, applyYarn: false));
        var tiny = Math.Pow(128, -0.5) * Math.Pow(0.1 * Math.Log(4) + 1, 2);   // golden tiny: 128^-½ · (0.1·ln 4 + 1)²
        Assert.Equal((float)tiny, YarnRope.SoftmaxScale(128, 4f, 1f, applyYarn: true));
    }

    [Fact]
    public void CosSinUseTheFp32AngleOfPositionTimesFrequency()
    {
        var f = YarnRope.InverseFrequencies(64, 10000f, 40f, 4096, 32f, 1f, applyYarn: true);
        var cos = new float[32];
        var sin = new float[32];
        YarnRope.CosSin(f, 100_000, cos, sin);
        for (var i = 0; i < 32; i++)
        {
            var angle = 100_000f * f[i];   // fp32 product, as the reference's outer product
            Assert.Equal((float)Math.Cos(angle), cos[i]);
            Assert.Equal((float)Math.Sin(angle), sin[i]);
            Assert.Equal(1.0, (double)cos[i] * cos[i] + (double)sin[i] * sin[i], 1e-6);
        }
    }
}
