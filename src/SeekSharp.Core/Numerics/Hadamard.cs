using System.Numerics;

namespace SeekSharp.Core.Numerics;

/// <summary>
/// Normalised Walsh–Hadamard transform in natural (Sylvester) order, as applied by the V3.2 indexer to q and k
/// before FP8 quantisation: y = (H·v) · n^-½ with H[i][j] = (-1)^popcount(i AND j).
/// </summary>
public static class Hadamard
{
    /// <summary>
    /// In-place fast transform of a power-of-two-length vector, fp32 throughout: for stride h = 1, 2, 4, …, n/2,
    /// every pair (i, i+h) with (i AND h) = 0 becomes (a+b, a−b); then every output is multiplied by fp32(n^-½)
    /// (the reference passes the Python double <c>dim ** -0.5</c> as an fp32 scale). The caller rounds to bf16.
    /// </summary>
    public static void TransformInPlace(Span<float> v)
    {
        var n = v.Length;
        if (n == 0) return;
        if (!BitOperations.IsPow2(n))
            throw new ArgumentException($"length {n} is not a power of two", nameof(v));

        for (var h = 1; h < n; h <<= 1)
        {
            for (var blockStart = 0; blockStart < n; blockStart += h << 1)
            {
                for (var i = blockStart; i < blockStart + h; i++)
                {
                    var a = v[i];
                    var b = v[i + h];
                    v[i] = a + b;
                    v[i + h] = a - b;
                }
            }
        }

        var scale = Scale(n);
        for (var i = 0; i < n; i++) v[i] *= scale;
    }

    /// <summary>fp32(n^-½), the normalisation factor for length n.</summary>
    public static float Scale(int n) => (float)Math.Pow(n, -0.5);
}
