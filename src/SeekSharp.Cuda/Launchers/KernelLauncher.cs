using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>The launchers of one .cu file: its module is compiled/loaded on the first launch.</summary>
public abstract class KernelLauncher(KernelLibrary kernels, CudaStream stream, string cuFileName)
{
    protected CudaStream Stream { get; } = stream;

    protected KernelLibrary Kernels { get; } = kernels;

    protected CudaFunction Function(string name) => Kernels.Module(cuFileName).Function(name);

    protected void Launch(string kernel, Dim3 grid, Dim3 block, KernelArgs args, int dynamicSharedBytes = 0) =>
        Function(kernel).Launch(Stream, grid, block, dynamicSharedBytes, args);

    /// <summary>Threads per block for a per-row kernel over <paramref name="width"/> columns: 32..1024, a multiple of 32.</summary>
    protected static uint RowThreads(int width, int perThread = 4) =>
        (uint)Math.Clamp((width / perThread + 31) / 32 * 32, 32, 1024);
}
