using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class YarnRopeTests
{
    /// <summary>spec-dsv32.md §1.5 table: the 32 YaRN inverse frequencies of the real config.</summary>
    private static readonly double[] s_specTable =
    [
        1.000000e+00, 7.498942e-01, 5.623413e-01, 4.216965e-01, 3.162278e-01, 2.371374e-01, 1.778279e-01, 1.333521e-01,
        1.000000e-01, 7.498942e-02, 5.623413e-02, 3.900693e-02, 2.687936e-02, 1.837815e-02, 1.244796e-02, 8.334509e-03,
        5.500000e-03, 3.561997e-03, 2.249365e-03, 1.370514e-03, 7.905694e-04, 4.149904e-04, 1.778279e-04, 3.333804e-05,
        2.500000e-05, 1.874736e-05, 1.405853e-05, 1.054241e-05, 7.905694e-06, 5.928434e-06, 4.445699e-06, 3.333804e-06,
    ];

    /// <summary>
    /// fp32 bit patterns of the reference <c>precompute_freqs_cis</c> run with torch 2.11.0 on the CPU
    /// (dim 64, theta 10000, factor 40, original 4096, beta 32/1). On CUDA torch differs by a few ulps in
    /// some entries (CUDA powf is not correctly rounded; CUDA divides by a Python scalar via its reciprocal).
    /// </summary>
    private static readonly uint[] s_torchCpuBits =
    [
        0x3f800000, 0x3f3ff911, 0x3f0ff59a, 0x3ed7e89b, 0x3ea1e89b, 0x3e72d423, 0x3e361887, 0x3e088d77,
        0x3dcccccd, 0x3d99940d, 0x3d6655c2, 0x3d1fc5ba, 0x3cdc321b, 0x3c968dc3, 0x3c4bf283, 0x3c088d77,
        0x3bb43959, 0x3b697066, 0x3b136a16, 0x3ab3a2cd, 0x3a4f3e37, 0x39d99312, 0x393a7753, 0x380bd472,
        0x37d1b718, 0x379d43a3, 0x376bdcf0, 0x3730df51, 0x3704a2b3, 0x36c6ecde, 0x36952c42, 0x365fba50,
    ];

    private static float[] RealConfig() => YarnRope.InverseFrequencies(64, 10000f, 40f, 4096, 32f, 1f, applyYarn: true);

    [Fact]
    public void RealConfigMatchesTheSpecTable()
    {
        var freqs = RealConfig();
        Assert.Equal(32, freqs.Length);
        for (var i = 0; i < 32; i++)
            Assert.True(Math.Abs(freqs[i] - s_specTable[i]) <= 1e-6 * s_specTable[i], $"i={i}: {freqs[i]:E7} vs {s_specTable[i]:E6}");
    }

    [Fact]
    public void RealConfigIsBitIdenticalToTorchOnTheCpu()
    {
        var freqs = RealConfig();
        for (var i = 0; i < 32; i++) Assert.Equal(s_torchCpuBits[i], BitConverter.SingleToUInt32Bits(freqs[i]));
    }

    [Fact]
    public void CorrectionRanges()
    {
        Assert.Equal((10, 23), YarnRope.CorrectionRange(64, 10000f, 4096, 32f, 1f));
        // Tiny golden model: original 64 → cd(32) < 0 is clamped to 0; cd(1) = 8.03 → 9.
        Assert.Equal((0, 9), YarnRope.CorrectionRange(64, 10000f, 64, 32f, 1f));
    }

    [Fact]
    public void RampEndsKeepOrDivideTheBaseFrequencies()
    {
        var baseFreqs = YarnRope.InverseFrequencies(64, 10000f, 40f, 4096, 32f, 1f, applyYarn: false);
        var freqs = RealConfig();
        for (var i = 0; i < 32; i++)
        {
            Assert.Equal(Math.Pow(10000, -2.0 * i / 64), baseFreqs[i], 1e-6 * baseFreqs[i]);
            if (i <= 10) Assert.Equal(baseFreqs[i], freqs[i]);          // ramp 0: untouched
            if (i >= 23) Assert.Equal(baseFreqs[i] / 40f, freqs[i]);    // ramp 1: divided by the factor
        }
    }

    [Fact]
    public void EqualLowAndHighStayFinite()
    {
        // dim 4, original 2^30: cd(32) = 3.36 → low 3; cd(1) = 4.11 → ceil 5, clamped to dim − 1 = 3.
        // low == high takes the reference's +0.001 branch; both pairs lie below low, so the ramp is 0 and the
        // base frequencies are kept (a 0/0 would have produced NaN at i == low).
        Assert.Equal((3, 3), YarnRope.CorrectionRange(4, 10000f, 1 << 30, 32f, 1f));
        var freqs = YarnRope.InverseFrequencies(4, 10000f, 4f, 1 << 30, 32f, 1f, applyYarn: true);
        var baseFreqs = YarnRope.InverseFrequencies(4, 10000f, 4f, 1 << 30, 32f, 1f, applyYarn: false);
        Assert.Equal(baseFreqs, freqs);
        Assert.Equal(0.01f, freqs[1]);
    }

    [Fact]
    public void CosSinUseTheFp32Angle()
    {
        var freqs = RealConfig();
        var cos = new float[32];
        var sin = new float[32];
        foreach (var position in new[] { 0, 1, 4095, 163839 })
        {
            YarnRope.CosSin(freqs, position, cos, sin);
            for (var i = 0; i < 32; i++)
            {
                var angle = (float)position * freqs[i]; // fp32 product
                Assert.Equal((float)Math.Cos(angle), cos[i]);
                Assert.Equal((float)Math.Sin(angle), sin[i]);
                Assert.Equal(1.0, (double)cos[i] * cos[i] + (double)sin[i] * sin[i], 1e-6);
            }
        }
        YarnRope.CosSin(freqs, 0, cos, sin);
        Assert.All(cos, c => Assert.Equal(1f, c));
        Assert.All(sin, s => Assert.Equal(0f, s));
    }

    [Fact]
    public void SoftmaxScales()
    {
        Assert.Equal(0.13523378f, YarnRope.SoftmaxScale(192, 40f, 1f, applyYarn: true), 7);
        var m = 0.1 * Math.Log(40) + 1;
        Assert.Equal((float)(m * m / Math.Sqrt(192)), YarnRope.SoftmaxScale(192, 40f, 1f, applyYarn: true));
        Assert.Equal((float)(1 / Math.Sqrt(192)), YarnRope.SoftmaxScale(192, 40f, 1f, applyYarn: false));
        var tiny = 0.1 * Math.Log(4) + 1;  // tiny golden: head dim 64 + 64, factor 4
        Assert.Equal((float)(tiny * tiny / Math.Sqrt(128)), YarnRope.SoftmaxScale(128, 4f, 1f, applyYarn: true));
        Assert.Equal((float)(1 / Math.Sqrt(128)), YarnRope.SoftmaxScale(128, 1f, 1f, applyYarn: true));
    }
}
