namespace SeekSharp.Core.Numerics;

/// <summary>
/// The reference <c>act_quant</c>: per row, per block of <c>blockSize</c> columns,
/// amax = max|x|, amax = max(amax, 1e-4f), s = amax · fp32(1/448) (a multiply by the fp32 constant, as the
/// kernel does, not a division by 448), s rounded up to a power of two when the scale format is ue8m0,
/// q = e4m3-RNE(clamp(x / s, -448, 448)) with an fp32 division. The scale is the dequantisation multiplier
/// (x ≈ q·s). A trailing partial block is quantised on its own columns.
/// Inputs are expected to be finite (bf16 activations held as floats).
/// </summary>
public static class ActQuant
{
    /// <summary>The block width DeepSeek uses for activations (and weights).</summary>
    public const int DefaultBlockSize = 128;

    /// <summary>amax floor of the reference, so an all-zero block still gets a positive scale.</summary>
    public const float AmaxFloor = 1e-4f;

    /// <summary>fp32(1/448): the reference passes the Python double 1/448 to the kernel as an fp32 constant.</summary>
    public const float InverseFp8Max = (float)(1.0 / Fp8E4M3.MaxFinite);

    /// <summary>Number of scales one row of <paramref name="length"/> values produces.</summary>
    public static int BlockCount(int length, int blockSize = DefaultBlockSize) => SpanGuard.CeilDiv(length, blockSize);

    /// <summary>The scale of one block whose absolute maximum is <paramref name="amax"/>.</summary>
    public static float Scale(float amax, bool powerOfTwoScales = true)
    {
        var raw = MathF.Max(amax, AmaxFloor) * InverseFp8Max;
        return powerOfTwoScales ? Ue8m0.RoundUpToPowerOfTwo(raw) : raw;
    }

    /// <summary>
    /// Quantises one row. x: [len]; q: [len] e4m3 codes; scales: [ceil(len / blockSize)].
    /// </summary>
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<byte> q, Span<float> scales,
        int blockSize = DefaultBlockSize, bool powerOfTwoScales = true)
    {
        SpanGuard.Positive(blockSize, nameof(blockSize));
        SpanGuard.AtLeast(q.Length, x.Length, nameof(q));
        SpanGuard.AtLeast(scales.Length, BlockCount(x.Length, blockSize), nameof(scales));
        for (int start = 0, b = 0; start < x.Length; start += blockSize, b++)
        {
            var width = Math.Min(blockSize, x.Length - start);
            scales[b] = QuantizeBlock(x.Slice(start, width), q.Slice(start, width), powerOfTwoScales);
        }
    }

    /// <summary>
    /// Quantises a row-major [rows, cols] matrix row by row. q: [rows, cols]; scales: [rows, ceil(cols / blockSize)].
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> x, int rows, int cols, Span<byte> q, Span<float> scales,
        int blockSize = DefaultBlockSize, bool powerOfTwoScales = true)
    {
        SpanGuard.NonNegative(rows, nameof(rows));
        SpanGuard.NonNegative(cols, nameof(cols));
        SpanGuard.Positive(blockSize, nameof(blockSize));
        var blocks = BlockCount(cols, blockSize);
        SpanGuard.AtLeast(x.Length, (long)rows * cols, nameof(x));
        SpanGuard.AtLeast(q.Length, (long)rows * cols, nameof(q));
        SpanGuard.AtLeast(scales.Length, (long)rows * blocks, nameof(scales));
        for (var r = 0; r < rows; r++)
        {
            QuantizeRow(x.Slice(r * cols, cols), q.Slice(r * cols, cols), scales.Slice(r * blocks, blocks),
                blockSize, powerOfTwoScales);
        }
    }

    /// <summary>
    /// Fake quantisation of one row in place (the Dec-2025 reference applies it to the normalised MLA latent
    /// before caching): quantise as <see cref="QuantizeRow"/>, then x = bf16(fp32(q) · s), the product in fp32
    /// and one rounding to bf16.
    /// </summary>
    public static void FakeQuantizeRowToBf16(Span<float> x, int blockSize = DefaultBlockSize, bool powerOfTwoScales = true)
    {
        SpanGuard.Positive(blockSize, nameof(blockSize));
        Span<byte> codes = blockSize <= 1024 ? stackalloc byte[blockSize] : new byte[blockSize];
        for (var start = 0; start < x.Length; start += blockSize)
        {
            var block = x.Slice(start, Math.Min(blockSize, x.Length - start));
            var blockCodes = codes[..block.Length];
            var scale = QuantizeBlock(block, blockCodes, powerOfTwoScales);
            for (var i = 0; i < block.Length; i++)
                block[i] = BFloat16Math.Round(Fp8E4M3.ToFloat(blockCodes[i]) * scale);
        }
    }

    /// <summary>Quantises one block (x and q of equal length) and returns its scale.</summary>
    private static float QuantizeBlock(ReadOnlySpan<float> x, Span<byte> q, bool powerOfTwoScales)
    {
        var amax = 0f;
        foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
        var scale = Scale(amax, powerOfTwoScales);
        for (var i = 0; i < x.Length; i++)
            q[i] = Fp8E4M3.FromFloat(Math.Clamp(x[i] / scale, -Fp8E4M3.MaxFinite, Fp8E4M3.MaxFinite));
        return scale;
    }
}
