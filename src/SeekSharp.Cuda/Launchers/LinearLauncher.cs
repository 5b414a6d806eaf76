using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;
using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// y = x·Wᵀ for every weight dtype: BF16 through cuBLAS on a bf16 copy of x (exact: x holds bf16 values), F32 through
/// cuBLAS directly on the strided views, FP8 as the reference does it (act-quant x per 128 columns, then the block-scaled
/// FP8 GEMM kernel). Rounds y to bf16 afterwards when asked. Temporaries come from the caching allocator.
/// </summary>
public sealed class LinearLauncher(CublasGemm gemm, ElementwiseLauncher elementwise, QuantLauncher quant,
    Fp8GemmLauncher fp8, CublasLtFp8Gemm? fp8Library, Func<DType, long, CudaBuffer> scratch)
{
    public void Linear(DeviceLinear weight, MatrixView x, MatrixView y, bool roundToBf16, bool powerOfTwoScales)
    {
        var w = weight as CudaLinear ?? throw new ArgumentException($"linear: weight {weight} does not belong to the CUDA device", nameof(weight));
        var op = $"linear {w.Name}";
        ObjectDisposedException.ThrowIf(w.Data.IsDisposed, w.Data);
        var xb = LaunchChecks.View(x, DType.F32, op, nameof(x));
        var yb = LaunchChecks.View(y, DType.F32, op, nameof(y));
        LaunchChecks.That(x.Cols == w.In && y.Cols == w.Out && x.Rows == y.Rows, op,
            $"weight [{w.Out}, {w.In}] does not map x [{x.Rows}, {x.Cols}] to y [{y.Rows}, {y.Cols}]");
        if (x.Rows == 0) return;
        var rounded = false;   // whether the product kernel already rounded y
        switch (w.DType)
        {
            case DType.BF16:
                using (var packed = scratch(DType.BF16, (long)x.Rows * x.Cols))   // x [rows, In] as dense bf16
                {
                    elementwise.PackBf16(x, packed, op);
                    gemm.Multiply(Cublas.DataR16BF, w.Data.Pointer, w.Out, w.In, packed.Pointer, x.Cols, x.Rows, yb.At(y.Offset), y.Stride, w.Name);
                }
                break;
            case DType.F32:
                gemm.Multiply(Cublas.DataR32F, w.Data.Pointer, w.Out, w.In, xb.At(x.Offset), x.Stride, x.Rows, yb.At(y.Offset), y.Stride, w.Name);
                break;
            case DType.F8E4M3:
                if (fp8Library is not null && fp8Library.Takes(x.Rows, w, y) && LibraryFp8(w, x, y, yb, roundToBf16, powerOfTwoScales)) break;
                using (var codes = scratch(DType.U8, (long)x.Rows * x.Cols))                            // [rows, In]
                using (var scales = scratch(DType.F32, (long)x.Rows * ActQuant.BlockCount(x.Cols)))    // [rows, In/128]
                {
                    quant.ActQuant(x, codes, 0, scales, 0, powerOfTwoScales);
                    rounded = fp8.Multiply(codes, scales, w, y, roundToBf16);
                }
                break;
            default:
                throw new NotSupportedException($"{op}: weights of {w.DType} are not supported");
        }
        if (roundToBf16 && !rounded) elementwise.RoundRows(y, op);
    }

    /// <summary>
    /// Prefill-sized FP8 products through cuBLASLt's block-scaled GEMM; false, with nothing queued, when it has no
    /// algorithm for the shape (asked before x is quantised, so a refused shape is not quantised twice).
    /// </summary>
    private bool LibraryFp8(CudaLinear w, MatrixView x, MatrixView y, CudaBuffer yb, bool roundToBf16, bool powerOfTwoScales)
    {
        using var codes = scratch(DType.U8, (long)x.Rows * x.Cols);                                  // [rows, In]
        using var scales = scratch(DType.F32, (long)x.Rows * ActQuant.BlockCount(x.Cols));           // [In/128, rows]
        if (fp8Library!.PlanFor(w, y, scales, roundToBf16) is not { } plan) return false;
        quant.ActQuantBlockMajor(x, codes, scales, powerOfTwoScales);
        fp8Library.Multiply(plan, codes, scales, w, y, yb.At(y.Offset));
        return true;
    }
}
