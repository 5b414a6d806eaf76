using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>sampling.cu: greedy argmax per row.</summary>
public sealed class SamplingLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "sampling.cu")
{
    public void ArgMax(DeviceBuffer logits, int rows, int vocab, DeviceBuffer ids)
    {
        const string op = "argmax";
        LaunchChecks.NonNegative(rows, op, nameof(rows));
        LaunchChecks.Positive(vocab, op, nameof(vocab));
        var l = LaunchChecks.Buffer(logits, DType.F32, (long)rows * vocab, op, nameof(logits));
        var o = LaunchChecks.Buffer(ids, DType.I32, rows, op, nameof(ids));
        Launch("argmax_rows", new Dim3((uint)rows), new Dim3(1024), new KernelArgs().Ptr(l.Pointer).Int(vocab).Ptr(o.Pointer));
    }
}
