using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>elementwise.cu: embedding, bf16 rounding and packing, SwiGLU, residual add, row gather/scatter, indexer weights.</summary>
public sealed class ElementwiseLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "elementwise.cu")
{
    private const int Threads = 256;

    /// <summary>output[i, :] = table[ids[i], :]; a bad id is written to <paramref name="errorFlag"/> (I32 [3]).</summary>
    public void Embed(CudaLinear table, DeviceBuffer ids, int count, DeviceBuffer output, CudaBuffer errorFlag)
    {
        const string op = "embed";
        LaunchChecks.NonNegative(count, op, nameof(count));
        LaunchChecks.That(table.DType is DType.BF16 or DType.F32, op, $"table {table} must be BF16 or F32");
        var idBuffer = LaunchChecks.Buffer(ids, DType.I32, count, op, nameof(ids));
        var y = LaunchChecks.Buffer(output, DType.F32, (long)count * table.In, op, nameof(output));
        var kernel = table.DType == DType.BF16 ? "embed_bf16" : "embed_f32";
        Launch(kernel, new Dim3((uint)count), new Dim3(Threads),
            new KernelArgs().Ptr(table.Data.Pointer).Ptr(idBuffer.Pointer).Int(table.In).Int(table.Out).Ptr(y.Pointer).Ptr(errorFlag.Pointer));
    }

    /// <summary>Rounds every element of a strided F32 view to bf16 in place.</summary>
    public void RoundRows(MatrixView y, string op)
    {
        var buffer = LaunchChecks.View(y, DType.F32, op, "y");
        Launch("round_bf16_rows", new Dim3((uint)y.Rows, Dim3.Blocks(y.Cols, Threads)), new Dim3(Threads),
            new KernelArgs().Ptr(buffer.At(y.Offset)).Int(y.Rows).Int(y.Cols).Int(y.Stride));
    }

    /// <summary>A strided F32 view = the values of packed [rows, cols] BF16.</summary>
    public void UnpackBf16(CudaBuffer packed, MatrixView y, string op)
    {
        var buffer = LaunchChecks.View(y, DType.F32, op, "y");
        LaunchChecks.Buffer(packed, DType.BF16, (long)y.Rows * y.Cols, op, "packed y");
        Launch("unpack_bf16_rows", new Dim3((uint)y.Rows, Dim3.Blocks(y.Cols, Threads)), new Dim3(Threads),
            new KernelArgs().Ptr(packed.Pointer).Int(y.Rows).Int(y.Cols).Ptr(buffer.At(y.Offset)).Int(y.Stride));
    }

    /// <summary>packed [rows, cols] BF16 = the bf16 bits of a strided F32 view.</summary>
    public void PackBf16(MatrixView x, CudaBuffer packed, string op)
    {
        var buffer = LaunchChecks.View(x, DType.F32, op, "x");
        LaunchChecks.Buffer(packed, DType.BF16, (long)x.Rows * x.Cols, op, "packed x");
        Launch("pack_bf16_rows", new Dim3((uint)x.Rows, Dim3.Blocks(x.Cols, Threads)), new Dim3(Threads),
            new KernelArgs().Ptr(buffer.At(x.Offset)).Int(x.Rows).Int(x.Cols).Int(x.Stride).Ptr(packed.Pointer));
    }

    public void SiluMul(DeviceBuffer gate, DeviceBuffer up, int count)
    {
        const string op = "silu_mul";
        LaunchChecks.NonNegative(count, op, nameof(count));
        var g = LaunchChecks.Buffer(gate, DType.F32, count, op, nameof(gate));
        var u = LaunchChecks.Buffer(up, DType.F32, count, op, nameof(up));
        Launch("silu_mul", new Dim3(Dim3.Blocks(count, Threads)), new Dim3(Threads), new KernelArgs().Ptr(g.Pointer).Ptr(u.Pointer).Int(count));
    }

    public void AddRound(DeviceBuffer a, DeviceBuffer b, DeviceBuffer output, int count)
    {
        const string op = "add_round";
        LaunchChecks.NonNegative(count, op, nameof(count));
        var x = LaunchChecks.Buffer(a, DType.F32, count, op, nameof(a));
        var y = LaunchChecks.Buffer(b, DType.F32, count, op, nameof(b));
        var o = LaunchChecks.Buffer(output, DType.F32, count, op, nameof(output));
        Launch("add_round", new Dim3(Dim3.Blocks(count, Threads)), new Dim3(Threads), new KernelArgs().Ptr(x.Pointer).Ptr(y.Pointer).Ptr(o.Pointer).Int(count));
    }

    /// <summary>Row ids are device data and are not range-checked here; the caller (the MoE layer) produces them.</summary>
    public void GatherRows(DeviceBuffer x, DeviceBuffer rows, int rowsOffset, int count, int width, DeviceBuffer output)
    {
        const string op = "gather_rows";
        LaunchChecks.NonNegative(count, op, nameof(count));
        LaunchChecks.NonNegative(rowsOffset, op, nameof(rowsOffset));
        LaunchChecks.Positive(width, op, nameof(width));
        var src = LaunchChecks.Buffer(x, DType.F32, width, op, nameof(x));
        var ids = LaunchChecks.Buffer(rows, DType.I32, (long)rowsOffset + count, op, nameof(rows));
        var dst = LaunchChecks.Buffer(output, DType.F32, (long)count * width, op, nameof(output));
        Launch("gather_rows", new Dim3((uint)count, Dim3.Blocks(width, Threads)), new Dim3(Threads),
            new KernelArgs().Ptr(src.Pointer).Ptr(ids.At(rowsOffset)).Int(count).Int(width).Ptr(dst.Pointer));
    }

    public void ScatterAddScaled(DeviceBuffer y, DeviceBuffer rows, DeviceBuffer scales, int rowsOffset, int count, int width, DeviceBuffer sum)
    {
        const string op = "scatter_add_scaled";
        LaunchChecks.NonNegative(count, op, nameof(count));
        LaunchChecks.NonNegative(rowsOffset, op, nameof(rowsOffset));
        LaunchChecks.Positive(width, op, nameof(width));
        var src = LaunchChecks.Buffer(y, DType.F32, (long)count * width, op, nameof(y));
        var ids = LaunchChecks.Buffer(rows, DType.I32, (long)rowsOffset + count, op, nameof(rows));
        var s = LaunchChecks.Buffer(scales, DType.F32, (long)rowsOffset + count, op, nameof(scales));
        var dst = LaunchChecks.Buffer(sum, DType.F32, width, op, nameof(sum));
        Launch("scatter_add_scaled", new Dim3(Dim3.Blocks(width, Threads)), new Dim3(Threads),
            new KernelArgs().Ptr(src.Pointer).Ptr(ids.At(rowsOffset)).Ptr(s.At(rowsOffset)).Int(count).Int(width).Ptr(dst.Pointer));
    }

    public void ScaleIndexerWeights(DeviceBuffer weights, DeviceBuffer qScales, int count, float headScale, float dimScale)
    {
        const string op = "scale_indexer_weights";
        LaunchChecks.NonNegative(count, op, nameof(count));
        var w = LaunchChecks.Buffer(weights, DType.F32, count, op, nameof(weights));
        var q = LaunchChecks.Buffer(qScales, DType.F32, count, op, nameof(qScales));
        Launch("scale_indexer_weights", new Dim3(Dim3.Blocks(count, Threads)), new Dim3(Threads),
            new KernelArgs().Ptr(w.Pointer).Ptr(q.Pointer).Int(count).Float(headScale).Float(dimScale));
    }
}
