using System.Buffers;

namespace SeekSharp.Core.Numerics;

/// <summary>
/// The reference <c>fp8_gemm</c> (C = A·Bᵀ with block scales), as scalar-clear fp32 code:
/// <code>
/// C[i, j] = Σ_kb ( Σ_{k in kb} fp32(A[i, k] · B[j, k]) ) · (aScales[i, kb] · bScaleInv[j / 128, kb])
/// </code>
/// Summation order (deterministic, documented because fp32 addition is not associative):
/// within a 128-wide K block the exact e4m3 products are added in ascending k into a fresh fp32 partial that
/// starts at 0; the partial is multiplied by the combined scale (aScale · bScale, one fp32 product) and added
/// to an fp32 accumulator that starts at 0, K blocks in ascending order — separate multiply and add, no FMA,
/// like the torch re-statement of the kernel. The GPU kernel's intra-block order (tensor-core MMA) differs;
/// that difference is accepted. The last K block and the last row block of B may be partial.
/// The caller rounds C to bf16 if it wants the reference's output dtype.
/// </summary>
public static class Fp8BlockGemm
{
    /// <summary>The K block width and the B row-block height of DeepSeek's block scales.</summary>
    public const int DefaultBlockSize = 128;

    /// <summary>
    /// a: [m, k] e4m3 codes; aScales: [m, ceil(k/block)]; b: [n, k] e4m3 weight codes;
    /// bScaleInv: [ceil(n/block), ceil(k/block)]; c: [m, n] fp32 output (overwritten).
    /// </summary>
    public static void Multiply(ReadOnlySpan<byte> a, ReadOnlySpan<float> aScales, int m, int k,
        ReadOnlySpan<byte> b, ReadOnlySpan<float> bScaleInv, int n, Span<float> c, int block = DefaultBlockSize)
    {
        SpanGuard.NonNegative(m, nameof(m));
        SpanGuard.NonNegative(k, nameof(k));
        SpanGuard.NonNegative(n, nameof(n));
        SpanGuard.Positive(block, nameof(block));
        var kBlocks = SpanGuard.CeilDiv(k, block);
        SpanGuard.AtLeast(a.Length, (long)m * k, nameof(a));
        SpanGuard.AtLeast(aScales.Length, (long)m * kBlocks, nameof(aScales));
        SpanGuard.AtLeast(b.Length, (long)n * k, nameof(b));
        SpanGuard.AtLeast(bScaleInv.Length, (long)SpanGuard.CeilDiv(n, block) * kBlocks, nameof(bScaleInv));
        SpanGuard.AtLeast(c.Length, (long)m * n, nameof(c));

        // Decode once: every e4m3 value is exact in fp32, so this changes no result, only the cost.
        var aValues = ArrayPool<float>.Shared.Rent(m * k);
        var bRow = ArrayPool<float>.Shared.Rent(k);
        try
        {
            Fp8E4M3.ToFloat(a[..(m * k)], aValues);
            for (var j = 0; j < n; j++)
            {
                Fp8E4M3.ToFloat(b.Slice(j * k, k), bRow);                           // [k]
                var bScales = bScaleInv.Slice(j / block * kBlocks, kBlocks);        // [kBlocks]
                for (var i = 0; i < m; i++)
                {
                    c[i * n + j] = Dot(aValues.AsSpan(i * k, k), aScales.Slice(i * kBlocks, kBlocks),
                        bRow.AsSpan(0, k), bScales, block);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(bRow);
            ArrayPool<float>.Shared.Return(aValues);
        }
    }

    /// <summary>One output element: the block-scaled dot product of an A row and a B row (both [k] values).</summary>
    internal static float Dot(ReadOnlySpan<float> aRow, ReadOnlySpan<float> aScales,
        ReadOnlySpan<float> bRow, ReadOnlySpan<float> bScales, int block)
    {
        var accumulator = 0f;
        for (int start = 0, kb = 0; start < aRow.Length; start += block, kb++)
        {
            var end = Math.Min(start + block, aRow.Length);
            var partial = 0f;
            for (var kk = start; kk < end; kk++) partial += aRow[kk] * bRow[kk];
            var scale = aScales[kb] * bScales[kb];
            accumulator += partial * scale;
        }
        return accumulator;
    }
}
