namespace SeekSharp.Core.Numerics;

/// <summary>
/// Block-scaled FP8 weights (the reference <c>weight_dequant</c>): W[r, c] = fp8[r, c] · scaleInv[r / block, c / block]
/// with scaleInv shaped [ceil(rows / block), ceil(cols / block)]. Edge blocks may be partial in either direction
/// (kv_a_proj_with_mqa has 576 = 4.5 × 128 rows); their scale is simply row r / block, column c / block.
/// The product is one fp32 multiply of the exact e4m3 value by the fp32 scale.
/// </summary>
public static class WeightDequant
{
    /// <summary>The block edge of DeepSeek's weight quantisation.</summary>
    public const int DefaultBlockSize = 128;

    /// <summary>fp8: [rows, cols] codes; scaleInv: [ceil(rows/block), ceil(cols/block)]; dst: [rows, cols] fp32.</summary>
    public static void Dequantize(ReadOnlySpan<byte> fp8, ReadOnlySpan<float> scaleInv, int rows, int cols,
        Span<float> dst, int block = DefaultBlockSize) =>
        Run(fp8, scaleInv, rows, cols, dst, block, roundToBf16: false);

    /// <summary>
    /// As <see cref="Dequantize"/>, then each value rounded to bf16 (held as fp32): the reference's
    /// <c>weight_dequant</c> returns a bf16 tensor.
    /// </summary>
    public static void DequantizeToBf16(ReadOnlySpan<byte> fp8, ReadOnlySpan<float> scaleInv, int rows, int cols,
        Span<float> dst, int block = DefaultBlockSize) =>
        Run(fp8, scaleInv, rows, cols, dst, block, roundToBf16: true);

    private static void Run(ReadOnlySpan<byte> fp8, ReadOnlySpan<float> scaleInv, int rows, int cols,
        Span<float> dst, int block, bool roundToBf16)
    {
        SpanGuard.NonNegative(rows, nameof(rows));
        SpanGuard.NonNegative(cols, nameof(cols));
        SpanGuard.Positive(block, nameof(block));
        var scaleCols = SpanGuard.CeilDiv(cols, block);
        var elements = (long)rows * cols;
        SpanGuard.AtLeast(fp8.Length, elements, nameof(fp8));
        SpanGuard.AtLeast(dst.Length, elements, nameof(dst));
        SpanGuard.AtLeast(scaleInv.Length, (long)SpanGuard.CeilDiv(rows, block) * scaleCols, nameof(scaleInv));

        var table = Fp8E4M3.DecodeTable;
        for (var r = 0; r < rows; r++)
        {
            var scaleRow = scaleInv.Slice(r / block * scaleCols, scaleCols); // [ceil(cols/block)]
            var codes = fp8.Slice(r * cols, cols);                           // [cols]
            var output = dst.Slice(r * cols, cols);                          // [cols]
            for (var c = 0; c < cols; c++) output[c] = table[codes[c]] * scaleRow[c / block];
            if (roundToBf16) BFloat16Math.RoundInPlace(output);
        }
    }
}
