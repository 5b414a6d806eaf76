using SeekSharp.Core.Compute;
using SeekSharp.OpTests;

namespace SeekSharp.Cuda.Tests;

/// <summary>The shared op tests on the GPU (skipped with CudaAvailability's sentence where CUDA cannot run).</summary>
public sealed class CudaDeviceOpTests : DeviceOpTests
{
    protected override string? Unavailable => CudaTestDevice.Unavailable;

    protected override IComputeDevice CreateDevice() => CudaTestDevice.Get();
}
