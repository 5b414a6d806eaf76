using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>norm.cu: fused residual + RMSNorm, RMSNorm on views, LayerNorm. One block per row.</summary>
public sealed class NormLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "norm.cu")
{
    public void AddRmsNorm(DeviceBuffer h, DeviceBuffer residual, bool hasResidual, DeviceBuffer weight, float eps, DeviceBuffer y, int rows, int width)
    {
        const string op = "add_rms_norm";
        LaunchChecks.NonNegative(rows, op, nameof(rows));
        LaunchChecks.Positive(width, op, nameof(width));
        var size = (long)rows * width;
        var hb = LaunchChecks.Buffer(h, DType.F32, size, op, nameof(h));
        var rb = LaunchChecks.Buffer(residual, DType.F32, size, op, nameof(residual));
        var wb = LaunchChecks.Buffer(weight, DType.F32, width, op, nameof(weight));
        var yb = LaunchChecks.Buffer(y, DType.F32, size, op, nameof(y));
        Launch("add_rmsnorm", new Dim3((uint)rows), new Dim3(RowThreads(width)),
            new KernelArgs().Ptr(hb.Pointer).Ptr(rb.Pointer).Int(hasResidual ? 1 : 0).Ptr(wb.Pointer).Float(eps).Ptr(yb.Pointer).Int(width));
    }

    public void RmsNorm(MatrixView x, DeviceBuffer weight, float eps, MatrixView y)
    {
        const string op = "rms_norm";
        var xb = LaunchChecks.View(x, DType.F32, op, nameof(x));
        var yb = LaunchChecks.View(y, DType.F32, op, nameof(y));
        LaunchChecks.That(x.Rows == y.Rows && x.Cols == y.Cols, op, $"x [{x.Rows}, {x.Cols}] and y [{y.Rows}, {y.Cols}] differ");
        var wb = LaunchChecks.Buffer(weight, DType.F32, x.Cols, op, nameof(weight));
        Launch("rmsnorm_rows", new Dim3((uint)x.Rows), new Dim3(RowThreads(x.Cols)),
            new KernelArgs().Ptr(xb.At(x.Offset)).Int(x.Stride).Ptr(wb.Pointer).Float(eps).Ptr(yb.At(y.Offset)).Int(y.Stride).Int(x.Cols));
    }

    public void LayerNorm(MatrixView x, DeviceBuffer weight, DeviceBuffer bias, float eps)
    {
        const string op = "layer_norm";
        var xb = LaunchChecks.View(x, DType.F32, op, nameof(x));
        var wb = LaunchChecks.Buffer(weight, DType.F32, x.Cols, op, nameof(weight));
        var bb = LaunchChecks.Buffer(bias, DType.F32, x.Cols, op, nameof(bias));
        Launch("layernorm_rows", new Dim3((uint)x.Rows), new Dim3(RowThreads(x.Cols)),
            new KernelArgs().Ptr(xb.At(x.Offset)).Int(x.Stride).Int(x.Cols).Ptr(wb.Pointer).Ptr(bb.Pointer).Float(eps));
    }
}
