using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;
using SeekSharp.OpTests;

namespace SeekSharp.Cuda.Tests;

/// <summary>
/// The opt-in cuBLASLt block-scaled FP8 GEMM (CudaDevice.LibraryFp8Gemm) at prefill shapes against the C# reference: the
/// bf16-rounded linear must stay within one bf16 step of the largest value, as our own kernels do, and the library
/// must really have run (not refused the shape).
/// </summary>
public sealed class CublasLtFp8GemmTests
{
    [Theory]
    [InlineData(128, 640, 7168)]
    [InlineData(68, 576, 2048)]      // a partial last Out block of 128
    public void LibraryFp8LinearMatchesTheReference(int rows, int outFeatures, int inFeatures)
    {
        var gpu = CudaTestDevice.Get();
        if (!gpu.HasLibraryFp8Gemm) Assert.Skip("no cuBLASLt was found on this machine");
        var data = new OpData(7);
        var weight = data.Weight(DType.F8E4M3, outFeatures, inFeatures);
        var x = data.Activations((long)rows * inFeatures);
        using var reference = new HostDevice(new ScalarBackend(), ownsBackend: true);
        using var refW = reference.UploadLinear(weight);
        using var refX = reference.Allocate(DType.F32, x.Length);
        using var refY = reference.Allocate(DType.F32, (long)rows * outFeatures);
        reference.Upload<float>(x, refX);
        reference.Linear(refW, MatrixView.Dense(refX, rows, inFeatures), MatrixView.Dense(refY, rows, outFeatures), true, true);

        using var w = gpu.UploadLinear(weight);
        using var gx = gpu.Allocate(DType.F32, x.Length);
        using var gy = gpu.Allocate(DType.F32, (long)rows * outFeatures);
        gpu.Upload<float>(x, gx);
        try
        {
            gpu.LibraryFp8Gemm = true;
            gpu.Linear(w, MatrixView.Dense(gx, rows, inFeatures), MatrixView.Dense(gy, rows, outFeatures), true, true);
            var path = gpu.Fp8GemmPath;
            Assert.StartsWith("cuBLASLt", path);
            Assert.DoesNotContain($"[{rows}, {inFeatures}] x [{outFeatures}, {inFeatures}]T", path);
        }
        finally
        {
            gpu.LibraryFp8Gemm = false;
        }

        var expected = new float[rows * outFeatures];
        var actual = new float[rows * outFeatures];
        reference.Download<float>(refY, 0, expected);
        gpu.Download<float>(gy, 0, actual);
        double scale = 0, worst = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]));
        }
        Assert.True(worst / scale <= 1.0 / 128, $"normalised error {worst / scale:G3} > 1/128 (max |Δ| {worst:G3}, max |ref| {scale:G3})");
    }
}
