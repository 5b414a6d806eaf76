using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>fp8_gemm.cu: y = dequant(a8)·dequant(W8)ᵀ with 128-wide block scales (the reference fp8_gemm).</summary>
public sealed class Fp8GemmLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "fp8_gemm.cu")
{
    private const int Tile = 64;

    /// <summary>
    /// codes [rows, In] dense e4m3, scales [rows, ceil(In/128)]; weight FP8 [Out, In] with its block scales; y a strided
    /// F32 view [rows, Out] (written in fp32, not rounded).
    /// </summary>
    public void Multiply(CudaBuffer codes, CudaBuffer scales, CudaLinear weight, MatrixView y)
    {
        var op = $"fp8_gemm {weight.Name}";
        LaunchChecks.That(weight.DType == DType.F8E4M3 && weight.Scales is not null, op, $"weight {weight} must be F8E4M3 with scales");
        var yb = LaunchChecks.View(y, DType.F32, op, nameof(y));
        LaunchChecks.That(y.Cols == weight.Out, op, $"y has {y.Cols} columns, the weight {weight.Out} outputs");
        var rows = y.Rows;
        LaunchChecks.Buffer(codes, DType.U8, (long)rows * weight.In, op, nameof(codes));
        LaunchChecks.Buffer(scales, DType.F32, (long)rows * ActQuant.BlockCount(weight.In), op, nameof(scales));
        Launch("fp8_gemm", new Dim3(Dim3.Blocks(weight.Out, Tile), Dim3.Blocks(rows, Tile)), new Dim3(256),
            new KernelArgs().Ptr(codes.Pointer).Ptr(scales.Pointer).Ptr(weight.Data.Pointer).Ptr(weight.Scales!.Pointer)
                .Ptr(yb.At(y.Offset)).Int(rows).Int(weight.Out).Int(weight.In).Int(y.Stride));
    }
}
