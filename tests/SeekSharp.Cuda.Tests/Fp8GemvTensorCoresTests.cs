using SeekSharp.Core;
using SeekSharp.Cuda.Launchers;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Tests;

/// <summary>
/// The tensor-core GEMV (fp8_gemv_tc.cu) is in use where it should be (its fallback is silent), and the launcher's
/// shared-memory sizes and tile widths are the kernels' own (each kernel has a _shape twin that writes GEMV_TC_SHARED
/// and its outputs a tile).
/// </summary>
public sealed class Fp8GemvTensorCoresTests
{
    [Fact]
    public void OnSm89AndLaterTheKernelsLoad()
    {
        var device = CudaTestDevice.Get();
        if (device.Kernels.Context.Architecture.Number < 89)
            Assert.Skip($"fp8_gemv_tc.cu needs FP8 mma.sync (sm_89+); this GPU is {device.Kernels.Context.Architecture}");
        if (Environment.GetEnvironmentVariable("SEEKSHARP_FP8_GEMV") == "simt") Assert.Skip("SEEKSHARP_FP8_GEMV=simt switches them off");
        Assert.True(new Fp8GemvTensorCores(device.Kernels, device.Stream).Available,
            "fp8_gemv_tc.cu did not load: decode products would fall back to fp8_gemv_rR and fp8_gemm_tc");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void LauncherShapesMatchTheKernels(int rows)
    {
        var device = CudaTestDevice.Get();
        if (device.Kernels.Context.Architecture.Number < 89) Assert.Skip("fp8_gemv_tc.cu is built for sm_89+ only");
        var name = Fp8GemvTensorCores.KernelName(rows);
        using var shape = (CudaBuffer)device.Allocate(DType.I32, 2);
        device.Kernels.Module("fp8_gemv_tc.cu").Function(name + "_shape")
            .Launch(device.Stream, new Dim3(1), new Dim3(1), 0, new KernelArgs().Ptr(shape.Pointer));
        var value = new int[2];
        device.Download<int>(shape, 0, value);
        Assert.Equal(value[0], Fp8GemvTensorCores.SharedBytes(rows));
        Assert.Equal(value[1], Fp8GemvTensorCores.TileOutputs(rows));
        Assert.True(value[0] <= device.Kernels.Context.MaxSharedMemoryPerBlockOptIn, $"{name} needs {value[0]} bytes of shared memory");
    }
}
