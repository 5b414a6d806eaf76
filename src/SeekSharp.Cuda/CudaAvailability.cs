using SeekSharp.Cuda.Interop;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda;

/// <summary>The outcome of <see cref="CudaAvailability.Probe"/>: usable, or one sentence saying why not.</summary>
public sealed record CudaProbeResult(bool IsAvailable, string? Reason, string? DeviceName = null,
    GpuArchitecture? Architecture = null, (int Major, int Minor)? DriverVersion = null)
{
    public static CudaProbeResult Unavailable(string reason) => new(false, reason);

    public override string ToString() => IsAvailable ? $"CUDA available: {DeviceName} ({Architecture}), driver {DriverVersion}" : Reason!;
}

/// <summary>
/// Whether the CUDA backend can run here, found out before any device memory is touched: the driver library, a GPU,
/// a supported architecture (sm_80 or newer), NVRTC and cuBLAS. Never throws: every failure becomes the result's
/// <see cref="CudaProbeResult.Reason"/>, and the CPU path keeps working.
/// </summary>
public static unsafe class CudaAvailability
{
    private static readonly Lazy<CudaProbeResult> s_default = new(() => Probe());

    /// <summary>The probe for this process's environment and <c>SEEKSHARP_CUDA_DEVICE</c>, computed once.</summary>
    public static CudaProbeResult Default => s_default.Value;

    /// <summary>
    /// Probes device <paramref name="ordinal"/> (default: <c>SEEKSHARP_CUDA_DEVICE</c> or 0) with the libraries
    /// <paramref name="search"/> finds (default: the process-wide <see cref="CudaLibraries"/>).
    /// </summary>
    public static CudaProbeResult Probe(LibrarySearch? search = null, int? ordinal = null)
    {
        try
        {
            var driver = search is null ? CudaLibraries.TryDriver(out var why)
                : CudaLibraries.TryLoad(search, LibrarySpec.Driver, l => new CuDriver(l), out why);
            if (driver is null) return CudaProbeResult.Unavailable($"No CUDA driver: {why}");

            var init = driver.cuInit(0);
            if (init == CuDriver.ErrorNoDevice) return CudaProbeResult.Unavailable("The CUDA driver is installed but found no GPU (cuInit: CUDA_ERROR_NO_DEVICE).");
            if (init != CuDriver.Success)
                return CudaProbeResult.Unavailable($"The CUDA driver failed to initialise (cuInit: {driver.ErrorName(init)}: {driver.ErrorString(init)}).");
            int count;
            driver.ThrowIfFailed(driver.cuDeviceGetCount(&count));
            if (count == 0) return CudaProbeResult.Unavailable("The CUDA driver is installed but sees no GPU.");
            var index = ordinal ?? CudaContext.DefaultOrdinal();
            if (index < 0 || index >= count)
                return CudaProbeResult.Unavailable($"CUDA device {index} was asked for (SEEKSHARP_CUDA_DEVICE) but the driver sees {count} GPU(s).");
            int device;
            driver.ThrowIfFailed(driver.cuDeviceGet(&device, index));
            var name = CudaContext.DeviceName(driver, device);
            var arch = new GpuArchitecture(CudaContext.Attribute(driver, device, CuDriver.AttributeComputeCapabilityMajor),
                CudaContext.Attribute(driver, device, CuDriver.AttributeComputeCapabilityMinor));
            if (!arch.IsSupported) return CudaProbeResult.Unavailable(UnsupportedArchitecture(index, name, arch));

            if (MissingLibrary(search) is { } missing) return CudaProbeResult.Unavailable(missing);
            return new CudaProbeResult(true, null, name, arch, driver.Version);
        }
        catch (Exception e)
        {
            return CudaProbeResult.Unavailable($"The CUDA probe failed: {e.Message}");
        }
    }

    /// <summary>The sentence for a GPU older than <see cref="GpuArchitecture.Minimum"/>.</summary>
    public static string UnsupportedArchitecture(int ordinal, string name, GpuArchitecture arch) =>
        $"GPU {ordinal} ({name}) has compute capability {arch.Major}.{arch.Minor}; SeekSharp's CUDA kernels need " +
        $"{GpuArchitecture.Minimum.Major}.{GpuArchitecture.Minimum.Minor} (Ampere) or newer.";

    /// <summary>The sentence naming NVRTC or cuBLAS when one of them cannot be loaded, else null.</summary>
    public static string? MissingLibrary(LibrarySearch? search = null)
    {
        string? reason;
        var nvrtc = search is null ? CudaLibraries.TryNvrtc(out reason) : CudaLibraries.TryLoad(search, LibrarySpec.Nvrtc, l => new Nvrtc(l), out reason);
        if (nvrtc is null) return reason;
        var cublas = search is null ? CudaLibraries.TryCublas(out reason) : CudaLibraries.TryLoad(search, LibrarySpec.Cublas, l => new Cublas(l), out reason);
        return cublas is null ? reason : null;
    }
}
