using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class Fp8BlockGemmTests
{
    private const int Block = 128;

    private sealed record Problem(byte[] A, float[] AScales, int M, int K, byte[] B, float[] BScaleInv, int N);

    /// <summary>m=5, k=300 (K blocks 128, 128, 44), n=200 (row blocks 128, 72): both partial edges exercised.</summary>
    private static Problem RandomProblem(int seed, int m = 5, int k = 300, int n = 200)
    {
        var random = new Random(seed);
        byte RandomCode()
        {
            var code = (byte)random.Next(256);
            return (code & 0x7F) == 0x7F ? (byte)0x30 : code;
        }
        var kBlocks = (k + Block - 1) / Block;
        var a = new byte[m * k];
        var b = new byte[n * k];
        for (var i = 0; i < a.Length; i++) a[i] = RandomCode();
        for (var i = 0; i < b.Length; i++) b[i] = RandomCode();
        var aScales = new float[m * kBlocks];
        var bScaleInv = new float[(n + Block - 1) / Block * kBlocks];
        for (var i = 0; i < aScales.Length; i++) aScales[i] = (float)Math.Pow(2, random.Next(-12, -4));
        for (var i = 0; i < bScaleInv.Length; i++) bScaleInv[i] = (float)Math.Pow(2, random.NextDouble() * 2 - 9);
        return new Problem(a, aScales, m, k, b, bScaleInv, n);
    }

    private static float[] Run(Problem p)
    {
        var c = new float[p.M * p.N];
        Fp8BlockGemm.Multiply(p.A, p.AScales, p.M, p.K, p.B, p.BScaleInv, p.N, c);
        return c;
    }

    [Fact]
    public void BitExactAgainstAStraightforwardFp32Restatement()
    {
        var p = RandomProblem(1);
        var c = Run(p);
        var kBlocks = (p.K + Block - 1) / Block;
        for (var i = 0; i < p.M; i++)
        {
            for (var j = 0; j < p.N; j++)
            {
                var acc = 0f;
                for (var kb = 0; kb < kBlocks; kb++)
                {
                    var partial = 0f;
                    for (var kk = kb * Block; kk < Math.Min(p.K, (kb + 1) * Block); kk++)
                        partial += Fp8E4M3.ToFloat(p.A[i * p.K + kk]) * Fp8E4M3.ToFloat(p.B[j * p.K + kk]);
                    var scale = p.AScales[i * kBlocks + kb] * p.BScaleInv[(j / Block) * kBlocks + kb];
                    var scaled = partial * scale;
                    acc += scaled;
                }
                Assert.Equal(BitConverter.SingleToUInt32Bits(acc), BitConverter.SingleToUInt32Bits(c[i * p.N + j]));
            }
        }
    }

    [Fact]
    public void CloseToTheSameFormulaInDouble()
    {
        var p = RandomProblem(2, m: 3, k: 384, n: 130);
        var c = Run(p);
        var kBlocks = p.K / Block;
        for (var i = 0; i < p.M; i++)
        {
            for (var j = 0; j < p.N; j++)
            {
                double exact = 0, magnitude = 0;
                for (var kk = 0; kk < p.K; kk++)
                {
                    var kb = kk / Block;
                    var term = (double)Fp8E4M3.ToFloat(p.A[i * p.K + kk]) * Fp8E4M3.ToFloat(p.B[j * p.K + kk])
                        * p.AScales[i * kBlocks + kb] * p.BScaleInv[(j / Block) * kBlocks + kb];
                    exact += term;
                    magnitude += Math.Abs(term);
                }
                // fp32 summation error bound: ~ (terms per block + blocks) · 2^-24 · Σ|term|.
                Assert.True(Math.Abs(c[i * p.N + j] - exact) <= (Block + kBlocks) * Math.Pow(2, -24) * magnitude,
                    $"[{i},{j}] {c[i * p.N + j]} vs {exact}");
            }
        }
    }

    [Fact]
    public void ScalesAreIndexedPerKBlockAndPerWeightRowBlock()
    {
        // One nonzero product per K block and row: C must equal Σ_kb v·aScale[i,kb]·bScale[j/128,kb] exactly.
        const int m = 2, k = 256, n = 129;
        var a = new byte[m * k];
        var b = new byte[n * k];
        a[0 * k + 5] = 0x38; a[0 * k + 130] = 0x40;  // row 0: 1.0 at k=5, 2.0 at k=130
        a[1 * k + 130] = 0x38;                        // row 1: 1.0 at k=130
        for (var j = 0; j < n; j++) { b[j * k + 5] = 0x38; b[j * k + 130] = 0x38; }
        float[] aScales = [0.5f, 4f, 8f, 16f];        // [2, 2]
        float[] bScaleInv = [2f, 0.25f, 32f, 64f];    // [2, 2]
        var c = new float[m * n];

        Fp8BlockGemm.Multiply(a, aScales, m, k, b, bScaleInv, n, c);

        Assert.Equal(1 * 0.5f * 2f + 2 * 4f * 0.25f, c[0 * n + 0]);      // row block 0
        Assert.Equal(1 * 0.5f * 32f + 2 * 4f * 64f, c[0 * n + 128]);     // row block 1 (a 1-row partial block)
        Assert.Equal(16f * 0.25f, c[1 * n + 127]);
        Assert.Equal(16f * 64f, c[1 * n + 128]);
    }

    [Fact]
    public void RejectsShortSpans()
    {
        var p = RandomProblem(3, m: 1, k: 128, n: 128);
        Assert.Throws<ArgumentException>(() =>
            Fp8BlockGemm.Multiply(p.A, p.AScales, 1, 128, p.B, p.BScaleInv, 128, new float[127]));
        Assert.Throws<ArgumentException>(() =>
            Fp8BlockGemm.Multiply(p.A, p.AScales, 1, 128, p.B, [], 128, new float[128]));
    }
}
