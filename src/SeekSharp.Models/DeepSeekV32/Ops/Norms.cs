using SeekSharp.Core.Numerics;

namespace SeekSharp.Models.DeepSeekV32.Ops;

/// <summary>RMSNorm with the fused residual add, and the indexer's LayerNorm, in the reference's precision.</summary>
public static class Norms
{
    /// <summary>
    /// Fused residual RMSNorm over rows of width w.Length. First layer (hasResidual false): residual ← h,
    /// y ← bf16(w · h·rsqrt(mean(h²)+eps)). Later: s = fp32(h)+fp32(residual); y from the unrounded s; residual ← bf16(s).
    /// </summary>
    public static void AddRmsNorm(Span<float> h, Span<float> residual, bool hasResidual, ReadOnlySpan<float> weight,
        float eps, Span<float> y, int rows)
    {
        var width = weight.Length;
        for (var r = 0; r < rows; r++)
        {
            var hRow = h.Slice(r * width, width);
            var resRow = residual.Slice(r * width, width);
            var yRow = y.Slice(r * width, width);
            if (hasResidual)
                System.Numerics.Tensors.TensorPrimitives.Add(hRow, resRow, yRow);   // fp32 sum, kept unrounded in y
            else
                hRow.CopyTo(yRow);
            yRow.CopyTo(resRow);
            BFloat16Math.RoundInPlace(resRow);
            RmsNormRow(yRow, weight, eps, yRow);
        }
    }

    /// <summary>y = bf16(w · x·rsqrt(mean(x²)+eps)), one row; x and y may alias.</summary>
    public static void RmsNormRow(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        var sumSquares = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(x);
        var inv = 1f / MathF.Sqrt(sumSquares / x.Length + eps);
        for (var i = 0; i < x.Length; i++) y[i] = weight[i] * (x[i] * inv);
        BFloat16Math.RoundInPlace(y[..x.Length]);
    }

    /// <summary>RMSNorm applied to each row of a [rows, width] matrix in place.</summary>
    public static void RmsNormRows(Span<float> x, int rows, int stride, int offset, ReadOnlySpan<float> weight, float eps)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * stride + offset, weight.Length);
            RmsNormRow(row, weight, eps, row);
        }
    }

    /// <summary>LayerNorm with weight and bias (biased variance), fp32 math, bf16 result, in place on one row.</summary>
    public static void LayerNormRow(Span<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps)
    {
        var n = x.Length;
        var mean = System.Numerics.Tensors.TensorPrimitives.Sum(x) / n;
        var variance = 0f;
        for (var i = 0; i < n; i++)
        {
            var d = x[i] - mean;
            variance += d * d;
        }
        variance /= n;
        var inv = 1f / MathF.Sqrt(variance + eps);
        for (var i = 0; i < n; i++) x[i] = (x[i] - mean) * inv * weight[i] + bias[i];
        BFloat16Math.RoundInPlace(x);
    }
}
