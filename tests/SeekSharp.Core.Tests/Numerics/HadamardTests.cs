using System.Numerics;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class HadamardTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(16)]
    [InlineData(128)]
    public void EqualsTheExplicitSylvesterMatrixTimesInverseSqrtN(int n)
    {
        var random = new Random(n);
        var v = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var expected = new double[n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                expected[i] += (BitOperations.PopCount((uint)(i & j)) % 2 == 0 ? 1 : -1) * (double)v[j] / Math.Sqrt(n);

        var y = v.ToArray();
        Hadamard.TransformInPlace(y);

        for (var i = 0; i < n; i++) Assert.Equal(expected[i], y[i], 1e-5);
    }

    [Fact]
    public void IsOrthonormalSoTwoTransformsRestoreTheInputAndKeepDotProducts()
    {
        var random = new Random(3);
        var a = Enumerable.Range(0, 128).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, 128).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var dot = a.Zip(b, (x, y) => (double)x * y).Sum();
        var ha = a.ToArray();
        var hb = b.ToArray();
        Hadamard.TransformInPlace(ha);
        Hadamard.TransformInPlace(hb);
        Assert.Equal(dot, ha.Zip(hb, (x, y) => (double)x * y).Sum(), 1e-5);
        Hadamard.TransformInPlace(ha);
        for (var i = 0; i < a.Length; i++) Assert.Equal(a[i], ha[i], 1e-6);
    }

    [Fact]
    public void UnitVectorSpreadsEvenly()
    {
        var v = new float[128];
        v[5] = 1;
        Hadamard.TransformInPlace(v);
        Assert.All(v, x => Assert.Equal(1 / Math.Sqrt(128), Math.Abs(x), 1e-7));
        Assert.Equal(Hadamard.Scale(128), v[0]);   // H[0][j] = +1
    }

    [Fact]
    public void RejectsLengthsThatAreNotPowersOfTwo() =>
        Assert.Throws<ArgumentException>(() => Hadamard.TransformInPlace(new float[96]));
}
