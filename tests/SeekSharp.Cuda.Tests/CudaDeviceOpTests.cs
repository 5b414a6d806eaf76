using SeekSharp.Core.Compute;
using SeekSharp.OpTests;

namespace SeekSharp.Cuda.Tests;

/// <summary>The shared op tests on the GPU (skipped with CudaAvailability's sentence where CUDA cannot run).</summary>
public sealed class CudaDeviceOpTests : DeviceOpTests
{
    private static readonly Lazy<CudaDevice> s_device = new(() => CudaDevice.Create());

    protected override string? Unavailable => CudaAvailability.Default.Reason;

    protected override IComputeDevice CreateDevice() => s_device.Value;
}
