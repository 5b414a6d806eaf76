using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>quant.cu: per-128-column FP8 act-quant of a strided view into dense codes and scales.</summary>
public sealed class QuantLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "quant.cu")
{
    private const int WarpsPerBlock = 4;

    public void ActQuant(MatrixView x, DeviceBuffer codes, long codesOffset, DeviceBuffer scales, long scalesOffset, bool powerOfTwo) =>
        Quantize(x, codes, codesOffset, scales, scalesOffset, powerOfTwo, blockMajor: false);

    /// <summary>
    /// <see cref="ActQuant"/> with the scales block-major, scales F32 [ceil(cols/128), rows] (row r of block kb at kb·rows + r),
    /// the layout cuBLASLt's VEC128 activation scales take.
    /// </summary>
    public void ActQuantBlockMajor(MatrixView x, CudaBuffer codes, CudaBuffer scales, bool powerOfTwo) =>
        Quantize(x, codes, 0, scales, 0, powerOfTwo, blockMajor: true);

    /// <summary>In place: x = bf16(e4m3(x/s)·s) per row and 128-column block (IComputeDevice.FakeQuantize).</summary>
    public void FakeQuantize(MatrixView x, bool powerOfTwo)
    {
        const string op = "fake_quantize";
        var xb = LaunchChecks.View(x, DType.F32, op, nameof(x));
        if (x.Cols == 0 || x.Rows == 0) return;
        var blocks = Core.Numerics.ActQuant.BlockCount(x.Cols);
        Launch("fake_quant_rows", new Dim3((uint)x.Rows, Dim3.Blocks(blocks, WarpsPerBlock)), new Dim3(32 * WarpsPerBlock),
            new KernelArgs().Ptr(xb.At(x.Offset)).Int(x.Cols).Int(x.Stride).Int(powerOfTwo ? 1 : 0));
    }

    private void Quantize(MatrixView x, DeviceBuffer codes, long codesOffset, DeviceBuffer scales, long scalesOffset, bool powerOfTwo, bool blockMajor)
    {
        const string op = "act_quant";
        var xb = LaunchChecks.View(x, DType.F32, op, nameof(x));
        LaunchChecks.NonNegative(codesOffset, op, nameof(codesOffset));
        LaunchChecks.NonNegative(scalesOffset, op, nameof(scalesOffset));
        var blocks = Core.Numerics.ActQuant.BlockCount(x.Cols);
        var cb = LaunchChecks.Buffer(codes, DType.U8, codesOffset + (long)x.Rows * x.Cols, op, nameof(codes));
        var sb = LaunchChecks.Buffer(scales, DType.F32, scalesOffset + (long)x.Rows * blocks, op, nameof(scales));
        if (x.Cols == 0 || x.Rows == 0) return;
        var (rowStep, blockStep) = blockMajor ? (1, x.Rows) : (blocks, 1);
        Launch("act_quant_rows", new Dim3((uint)x.Rows, Dim3.Blocks(blocks, WarpsPerBlock)), new Dim3(32 * WarpsPerBlock),
            new KernelArgs().Ptr(xb.At(x.Offset)).Int(x.Cols).Int(x.Stride).Ptr(cb.At(codesOffset)).Ptr(sb.At(scalesOffset))
                .Int(rowStep).Int(blockStep).Int(powerOfTwo ? 1 : 0));
    }
}
