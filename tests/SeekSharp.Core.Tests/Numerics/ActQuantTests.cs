using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class ActQuantTests
{
    private const float InverseFp8Max = (float)(1.0 / 448.0);

    [Fact]
    public void HandComputedRowWithZeroAndPartialBlocks()
    {
        // [296] = block 0 (hand values), block 1 (all zero), block 2 (partial, 40 columns)
        var x = new float[296];
        x[0] = 3f; x[1] = 1f; x[2] = -0.01f; x[3] = 0.5f; x[4] = -3f;
        x[256] = -7f; x[257] = 2.5f; x[295] = 0.0625f;
        var q = new byte[x.Length];
        var scales = new float[3];

        ActQuant.QuantizeRow(x, q, scales);

        // Block 0: amax 3, 3/448 = 0.0067 → 2^-7; values × 128.
        Assert.Equal(0.0078125f, scales[0]);
        Assert.Equal(0x7C, q[0]);   // 384 = 1.5·2^8
        Assert.Equal(0x70, q[1]);   // 128 = 2^7
        Assert.Equal(0xBA, q[2]);   // -1.28 → -1.25 (e=7, m=2)
        Assert.Equal(0x68, q[3]);   // 64 = 2^6
        Assert.Equal(0xFC, q[4]);
        Assert.Equal(0x00, q[5]);

        // Block 1: all zeros: amax floored to 1e-4; 1e-4/448 = 2.23e-7 lies in [2^-23, 2^-22) → 2^-22.
        Assert.Equal(Math.Pow(2, Math.Ceiling(Math.Log2(1e-4 / 448))), (double)scales[1]);
        Assert.Equal(Math.Pow(2, -22), (double)scales[1]);
        Assert.All(q[128..256], code => Assert.Equal(0, code));

        // Block 2 (partial): amax 7 → 7·fp32(1/448) is exactly 2^-6 in fp32; values × 64.
        Assert.Equal(0.015625f, scales[2]);
        Assert.Equal(0xFE, q[256]); // -448
        Assert.Equal(0x72, q[257]); // 160 = 1.25·2^7 (e=14, m=2)
        Assert.Equal(0x48, q[295]); // 0.0625·64 = 4 = 2^2 (e=9, m=0)
    }

    [Fact]
    public void NonPowerOfTwoScaleMultipliesByFp32InverseOf448()
    {
        var x = new float[128];
        x[0] = 0.37f;
        var q = new byte[128];
        var scales = new float[1];

        ActQuant.QuantizeRow(x, q, scales, powerOfTwoScales: false);

        var expected = (float)((double)0.37f * InverseFp8Max); // exact double product, one rounding = fp32 multiply
        Assert.Equal(expected, scales[0]);
        Assert.NotEqual(0.37f / 448f, scales[0]);               // the division would be one ulp lower here
        Assert.Equal(Fp8E4M3.MaxFiniteCode, q[0]);               // the amax element lands on 448 (after the clamp)
    }

    [Theory]
    [InlineData(128, true)]
    [InlineData(128, false)]
    [InlineData(64, true)]
    public void RandomRowsMatchAnIndependentRestatement(int blockSize, bool powerOfTwo)
    {
        var random = new Random(21);
        var x = new float[3 * blockSize + blockSize / 2 + 3];
        for (var i = 0; i < x.Length; i++)
            x[i] = BFloat16Math.Round((float)(Gaussian(random) * Math.Pow(2, random.Next(-8, 8))));
        x[blockSize + 5] = 0; // keep some structure: an exact zero, a huge outlier
        x[2 * blockSize + 1] = 1000f;
        var q = new byte[x.Length];
        var scales = new float[ActQuant.BlockCount(x.Length, blockSize)];
        Assert.Equal(4, scales.Length);                       // three full blocks and a partial one

        ActQuant.QuantizeRow(x, q, scales, blockSize, powerOfTwo);

        for (var b = 0; b < scales.Length; b++)
        {
            var block = x.AsSpan(b * blockSize, Math.Min(blockSize, x.Length - b * blockSize));
            double amax = 1e-4f;
            foreach (var v in block) amax = Math.Max(amax, Math.Abs(v));
            var raw = (float)(amax * InverseFp8Max);
            var scale = powerOfTwo ? (float)Math.Pow(2, Math.Ceiling(Math.Log2(raw))) : raw;
            Assert.Equal(scale, scales[b]);
            for (var i = 0; i < block.Length; i++)
            {
                var c = b * blockSize + i;
                var ratio = Math.Clamp((float)((double)block[i] / scale), -448f, 448f); // fp32 division x / s
                Assert.Equal(NearestCode(ratio), q[c]);
                // Round-trip error: at most half an e4m3 step (relative 2^-4, absolute 2^-10 in the subnormals).
                var error = Math.Abs(Fp8E4M3.ToFloat(q[c]) * (double)scale - block[i]);
                Assert.True(error <= Math.Max(Math.Abs(block[i]) / 16, scale / 1024.0) * 1.0000001, $"index {c}");
            }
        }
    }

    [Fact]
    public void MatrixQuantizeIsRowByRow()
    {
        const int rows = 3, cols = 200; // 2 blocks per row, the second partial
        var random = new Random(4);
        var x = new float[rows * cols];
        for (var i = 0; i < x.Length; i++) x[i] = (float)Gaussian(random) * (1 + i / cols);
        var q = new byte[x.Length];
        var scales = new float[rows * 2];

        ActQuant.Quantize(x, rows, cols, q, scales);

        for (var r = 0; r < rows; r++)
        {
            var rowQ = new byte[cols];
            var rowScales = new float[2];
            ActQuant.QuantizeRow(x.AsSpan(r * cols, cols), rowQ, rowScales);
            Assert.Equal(rowQ, q[(r * cols)..((r + 1) * cols)]);
            Assert.Equal(rowScales, scales[(r * 2)..((r + 1) * 2)]);
        }
    }

    [Fact]
    public void FakeQuantizeDequantizesToBf16()
    {
        var x = new float[160];
        x[0] = 3f; x[1] = -0.01f; x[2] = 0.3f; x[130] = 0.2f;
        var random = new Random(8);
        for (var i = 3; i < 128; i++) x[i] = BFloat16Math.Round((float)Gaussian(random));
        var original = (float[])x.Clone();

        ActQuant.FakeQuantizeRowToBf16(x);

        Assert.Equal(3f, x[0]);
        Assert.Equal(-1.25f / 128, x[1]);  // -1.28 → -1.25 at scale 2^-7
        Assert.Equal(40f / 128, x[2]);     // 38.4 → 40 (step 4 in [32, 64))
        // Block 1 (32 wide, partial): amax 0.2 → 0.2/448 ≈ 4.46e-4 → 2^-11; 0.2·2048 = 409.6 → 416.
        Assert.Equal(416f / 2048, x[130]);
        var q = new byte[160];
        var scales = new float[2];
        ActQuant.QuantizeRow(original, q, scales);
        for (var i = 0; i < x.Length; i++)
            Assert.Equal(BFloat16Math.Round(Fp8E4M3.ToFloat(q[i]) * scales[i / 128]), x[i]);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Nearest finite e4m3 code by brute force over the format definition, ties to the even code.</summary>
    internal static byte NearestCode(float x)
    {
        var best = 0;
        var bestDistance = double.PositiveInfinity;
        for (var code = 0; code < 256; code++)
        {
            if ((code & 0x7F) == 0x7F) continue;
            var e = (code >> 3) & 0xF;
            var m = code & 7;
            var magnitude = e == 0 ? m * Math.Pow(2, -9) : (8 + m) * Math.Pow(2, e - 10);
            if (magnitude == 0 && (code == 0x80) != float.IsNegative(x)) continue;
            var value = (code & 0x80) != 0 ? -magnitude : magnitude;
            var distance = Math.Abs(x - value);
            if (distance < bestDistance || (distance == bestDistance && (code & 1) == 0))
            {
                best = code;
                bestDistance = distance;
            }
        }
        return (byte)best;
    }
}
