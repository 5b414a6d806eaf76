using System.Buffers;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Backend;

/// <summary>
/// The plain reference backend: one thread, straightforward loops. FP8 goes through <see cref="ActQuant"/> and
/// <see cref="Fp8BlockGemm"/> (ascending-k sums inside each 128 block); BF16 and F32 sum x[k]·w[n, k] in
/// ascending k into one fp32 accumulator. The op tests compare every optimised backend against it.
/// </summary>
public sealed unsafe class ScalarBackend : IBackend
{
    /// <inheritdoc/>
    public string Name => "scalar";

    /// <inheritdoc/>
    public int Threads => 1;

    /// <inheritdoc/>
    public void Linear(LinearWeight w, ReadOnlySpan<float> x, int rows, Span<float> y, bool powerOfTwoActivationScales = true)
    {
        BackendChecks.Linear(w, x, rows, y);
        if (rows == 0) return;
        var elements = checked(w.Out * w.In);
        switch (w.DType)
        {
            case DType.F8E4M3:
                LinearFp8(w, new ReadOnlySpan<byte>((void*)w.Data, elements), x, rows, y, powerOfTwoActivationScales);
                break;
            case DType.BF16:
                LinearBf16(new ReadOnlySpan<ushort>((void*)w.Data, elements), w.Out, w.In, x, rows, y);
                break;
            case DType.F32:
                LinearF32(new ReadOnlySpan<float>((void*)w.Data, elements), w.Out, w.In, x, rows, y);
                break;
            default:
                throw new NotSupportedException($"{w.Name}: {w.DType}");
        }
        GC.KeepAlive(w);
    }

    /// <inheritdoc/>
    public void For(int count, Action<int, int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(body);
        if (count > 0) body(0, count);
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose()
    {
    }

    private static void LinearFp8(LinearWeight w, ReadOnlySpan<byte> weight, ReadOnlySpan<float> x, int rows,
        Span<float> y, bool powerOfTwoScales)
    {
        var kBlocks = w.InBlocks;
        var codes = ArrayPool<byte>.Shared.Rent(rows * w.In);     // [rows, In]
        var scales = ArrayPool<float>.Shared.Rent(rows * kBlocks); // [rows, kBlocks]
        try
        {
            ActQuant.Quantize(x[..(rows * w.In)], rows, w.In, codes, scales, LinearWeight.BlockSize, powerOfTwoScales);
            Fp8BlockGemm.Multiply(codes, scales, rows, w.In, weight, w.ScaleInv!, w.Out, y, LinearWeight.BlockSize);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scales);
            ArrayPool<byte>.Shared.Return(codes);
        }
    }

    private static void LinearBf16(ReadOnlySpan<ushort> weight, int outFeatures, int inFeatures,
        ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        for (var r = 0; r < rows; r++)
        {
            var xRow = x.Slice(r * inFeatures, inFeatures);
            for (var n = 0; n < outFeatures; n++)
            {
                var wRow = weight.Slice(n * inFeatures, inFeatures);
                var sum = 0f;
                for (var k = 0; k < inFeatures; k++) sum += xRow[k] * BFloat16Math.ToFloat(wRow[k]);
                y[r * outFeatures + n] = sum;
            }
        }
    }

    private static void LinearF32(ReadOnlySpan<float> weight, int outFeatures, int inFeatures,
        ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        for (var r = 0; r < rows; r++)
        {
            var xRow = x.Slice(r * inFeatures, inFeatures);
            for (var n = 0; n < outFeatures; n++)
            {
                var wRow = weight.Slice(n * inFeatures, inFeatures);
                var sum = 0f;
                for (var k = 0; k < inFeatures; k++) sum += xRow[k] * wRow[k];
                y[r * outFeatures + n] = sum;
            }
        }
    }
}
