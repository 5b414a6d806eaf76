using System.Numerics;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class HadamardTests
{
    /// <summary>Explicit Sylvester matrix entry, normalised: (-1)^popcount(i AND j) / sqrt(n).</summary>
    private static double Entry(int i, int j, int n) =>
        (BitOperations.PopCount((uint)(i & j)) % 2 == 0 ? 1.0 : -1.0) / Math.Sqrt(n);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(128)]
    [InlineData(256)]
    public void EqualsTheExplicitMatrixProduct(int n)
    {
        var random = new Random(n);
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = BFloat16Math.Round((float)(random.NextDouble() * 4 - 2));
        var transformed = (float[])v.Clone();

        Hadamard.TransformInPlace(transformed);

        var norm = Math.Sqrt(v.Sum(x => (double)x * x));
        for (var i = 0; i < n; i++)
        {
            double expected = 0;
            for (var j = 0; j < n; j++) expected += Entry(i, j, n) * v[j];
            // log2(n) fp32 butterfly stages plus the scale multiply: a few ulps of the vector norm.
            Assert.True(Math.Abs(transformed[i] - expected) <= 1e-6 * norm, $"n={n} i={i}: {transformed[i]} vs {expected}");
        }
    }

    [Fact]
    public void UnitVectorsGiveTheMatrixColumnsBitExactly()
    {
        const int n = 128;
        var scale = (float)Math.Pow(n, -0.5);
        for (var j = 0; j < n; j++)
        {
            var v = new float[n];
            v[j] = 1f;
            Hadamard.TransformInPlace(v);
            for (var i = 0; i < n; i++)
                Assert.Equal(Entry(i, j, n) > 0 ? scale : -scale, v[i]); // column j of H, times fp32(128^-½)
        }
    }

    [Fact]
    public void IsOrthogonal()
    {
        const int n = 128;
        var random = new Random(2);
        var a = new float[n];
        var b = new float[n];
        for (var i = 0; i < n; i++) { a[i] = (float)(random.NextDouble() - 0.5); b[i] = (float)(random.NextDouble() - 0.5); }
        var ha = (float[])a.Clone();
        var hb = (float[])b.Clone();
        Hadamard.TransformInPlace(ha);
        Hadamard.TransformInPlace(hb);

        Assert.Equal(Dot(a, b), Dot(ha, hb), 1e-5);   // inner products preserved
        Assert.Equal(Dot(a, a), Dot(ha, ha), 1e-5);   // norms preserved

        Hadamard.TransformInPlace(ha);             // H/√n is symmetric and orthogonal: applying it twice is identity
        for (var i = 0; i < n; i++) Assert.Equal(a[i], ha[i], 1e-6f);
    }

    [Fact]
    public void ScaleIsFp32OfInverseSquareRoot()
    {
        Assert.Equal((float)(1 / Math.Sqrt(128)), Hadamard.Scale(128));
        Assert.Equal(0x3DB504F3u, BitConverter.SingleToUInt32Bits(Hadamard.Scale(128))); // 0.088388346 = 2^-3.5 rounded
    }

    [Fact]
    public void RejectsNonPowerOfTwoLengths() =>
        Assert.Throws<ArgumentException>(() => Hadamard.TransformInPlace(new float[96]));

    private static double Dot(float[] x, float[] y)
    {
        double sum = 0;
        for (var i = 0; i < x.Length; i++) sum += (double)x[i] * y[i];
        return sum;
    }
}
