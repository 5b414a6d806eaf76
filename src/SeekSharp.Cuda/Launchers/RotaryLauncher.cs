using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>rotary.cu: RoPE in both pairings, and the Hadamard transform.</summary>
public sealed class RotaryLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "rotary.cu")
{
    /// <summary>The largest row <see cref="Hadamard"/> transforms (the kernel's shared array).</summary>
    public const int MaxHadamardWidth = 1024;

    public void Rope(MatrixView x, int rowsPerPosition, int startPos, DeviceBuffer cos, DeviceBuffer sin, RopeLayout layout)
    {
        const string op = "rope";
        var xb = LaunchChecks.View(x, DType.F32, op, nameof(x));
        LaunchChecks.Positive(rowsPerPosition, op, nameof(rowsPerPosition));
        LaunchChecks.NonNegative(startPos, op, nameof(startPos));
        LaunchChecks.That(x.Cols % 2 == 0, op, $"the rotary width {x.Cols} must be even");
        if (x.Rows == 0) return;
        var half = x.Cols / 2;
        long positions = startPos + (x.Rows - 1) / rowsPerPosition + 1;
        var c = LaunchChecks.Buffer(cos, DType.F32, positions * half, op, nameof(cos));
        var s = LaunchChecks.Buffer(sin, DType.F32, positions * half, op, nameof(sin));
        Launch("rope_rows", new Dim3((uint)x.Rows), new Dim3(RowThreads(half, 1)),
            new KernelArgs().Ptr(xb.At(x.Offset)).Int(x.Cols).Int(x.Stride).Int(rowsPerPosition).Int(startPos)
                .Ptr(c.Pointer).Ptr(s.Pointer).Int(layout == RopeLayout.Interleaved ? 1 : 0));
    }

    /// <summary>Rope with row group g at positions[g] (I32 [x.Rows / rowsPerPosition]); cos/sin hold whole positions.</summary>
    public void RopeAt(MatrixView x, int rowsPerPosition, DeviceBuffer positions, DeviceBuffer cos, DeviceBuffer sin, RopeLayout layout)
    {
        const string op = "rope_at";
        var xb = LaunchChecks.View(x, DType.F32, op, nameof(x));
        LaunchChecks.Positive(rowsPerPosition, op, nameof(rowsPerPosition));
        LaunchChecks.That(x.Cols % 2 == 0, op, $"the rotary width {x.Cols} must be even");
        LaunchChecks.That(x.Rows % rowsPerPosition == 0, op, $"{x.Rows} rows do not split into groups of {rowsPerPosition}");
        if (x.Rows == 0) return;
        var half = x.Cols / 2;
        var p = LaunchChecks.Buffer(positions, DType.I32, x.Rows / rowsPerPosition, op, nameof(positions));
        var c = LaunchChecks.Buffer(cos, DType.F32, half, op, nameof(cos));
        var s = LaunchChecks.Buffer(sin, DType.F32, c.Length, op, nameof(sin));
        var tablePositions = (int)Math.Min(c.Length / half, int.MaxValue);
        Launch("rope_rows_at", new Dim3((uint)x.Rows), new Dim3(RowThreads(half, 1)),
            new KernelArgs().Ptr(xb.At(x.Offset)).Int(x.Cols).Int(x.Stride).Int(rowsPerPosition).Ptr(p.Pointer).Int(tablePositions)
                .Ptr(c.Pointer).Ptr(s.Pointer).Int(layout == RopeLayout.Interleaved ? 1 : 0));
    }

    public void Hadamard(MatrixView x)
    {
        const string op = "hadamard";
        var xb = LaunchChecks.View(x, DType.F32, op, nameof(x));
        LaunchChecks.PowerOfTwoAtMost(x.Cols, MaxHadamardWidth, op, "x.Cols");
        var scale = Core.Numerics.Hadamard.Scale(x.Cols);
        Launch("hadamard_rows", new Dim3((uint)x.Rows), new Dim3(RowThreads(x.Cols, 2)),
            new KernelArgs().Ptr(xb.At(x.Offset)).Int(x.Stride).Int(x.Cols).Float(scale));
    }
}
