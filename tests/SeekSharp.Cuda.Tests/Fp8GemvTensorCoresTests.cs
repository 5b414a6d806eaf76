using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Launchers;
using SeekSharp.Cuda.Runtime;
using SeekSharp.OpTests;

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

    /// <summary>
    /// Below 64 rows a row's FP8 product has fp8_gemm_tc's bits whatever the call's row count: one row alone (the
    /// weights-as-A kernel), inside 17 or 32 rows (activations as A) and inside 63 (two launches) agree bit for bit.
    /// </summary>
    [Theory]
    [InlineData(2048, 7168)]
    [InlineData(576, 2048)]
    [InlineData(130, 18432)]
    public void RowResultsDoNotDependOnTheRowCountBelow64(int outFeatures, int inFeatures)
    {
        var device = CudaTestDevice.Get();
        if (!new Fp8GemvTensorCores(device.Kernels, device.Stream).Fits(Fp8GemvTensorCores.MaxRows, inFeatures))
            Assert.Skip($"fp8_gemv_tc does not take 32 rows of {inFeatures} here ({device.Kernels.Context.Architecture})");
        var data = new OpData(11);
        using var weight = device.UploadLinear(data.Weight(DType.F8E4M3, outFeatures, inFeatures));
        const int rows = 63;
        var xs = data.Activations((long)rows * inFeatures);
        using var x = device.Allocate(DType.F32, xs.Length);
        device.Upload<float>(xs, x);
        float[] Product(int first, int count)
        {
            using var y = device.Allocate(DType.F32, (long)count * outFeatures);
            device.Linear(weight, new MatrixView(x, (long)first * inFeatures, count, inFeatures, inFeatures),
                MatrixView.Dense(y, count, outFeatures), false, true);
            var values = new float[(long)count * outFeatures];
            device.Download<float>(y, 0, values);
            return values;
        }
        var all = Product(0, rows);
        var seventeen = Product(0, 17);
        var thirtyTwo = Product(0, 32);
        foreach (var r in new[] { 0, 5, 16, 31, 32, 40, 62 })
        {
            var alone = Product(r, 1);
            var row = all.AsSpan(r * outFeatures, outFeatures);
            Assert.True(row.SequenceEqual(alone), $"row {r} of 63 differs from the row alone");
            if (r < 17) Assert.True(seventeen.AsSpan(r * outFeatures, outFeatures).SequenceEqual(alone), $"row {r} of 17 differs");
            if (r < 32) Assert.True(thirtyTwo.AsSpan(r * outFeatures, outFeatures).SequenceEqual(alone), $"row {r} of 32 differs");
        }
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
