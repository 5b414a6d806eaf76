namespace SeekSharp.Cuda.Tests;

/// <summary>One CUDA device for the whole test run (context creation and kernel loading are slow), or the reason there is none.</summary>
internal static class CudaTestDevice
{
    private static readonly Lazy<CudaDevice> s_device = new(() => CudaDevice.Create());

    /// <summary>CudaAvailability's sentence when CUDA cannot run here, else null.</summary>
    public static string? Unavailable => CudaAvailability.Default.Reason;

    /// <summary>The shared device; skips the calling test with the probe's sentence when there is no usable GPU.</summary>
    public static CudaDevice Get()
    {
        if (Unavailable is { } reason) Assert.Skip(reason);
        return s_device.Value;
    }
}
