using System.Text;
using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Runtime;

/// <summary>
/// The primary context of one GPU, retained for our lifetime (the context every CUDA library shares). The driver API
/// binds contexts per thread, so every entry point that may run on a new thread calls <see cref="MakeCurrent"/> first.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly PrimaryContextHandle _handle;

    private CudaContext(CuDriver driver, int ordinal, PrimaryContextHandle handle, string name, GpuArchitecture arch,
        int multiprocessors, long totalMemory, int maxSharedOptIn, int sharedPerMultiprocessor)
    {
        Driver = driver;
        Ordinal = ordinal;
        _handle = handle;
        Name = name;
        Architecture = arch;
        MultiprocessorCount = multiprocessors;
        TotalMemory = totalMemory;
        MaxSharedMemoryPerBlockOptIn = maxSharedOptIn;
        SharedMemoryPerMultiprocessor = sharedPerMultiprocessor;
    }

    public CuDriver Driver { get; }

    /// <summary>Device ordinal (cuDeviceGet).</summary>
    public int Ordinal { get; }

    /// <summary>The GPU's name, e.g. "NVIDIA H200".</summary>
    public string Name { get; }

    public GpuArchitecture Architecture { get; }
    public int MultiprocessorCount { get; }
    public long TotalMemory { get; }

    /// <summary>The most dynamic shared memory one block may opt into (cuFuncSetAttribute).</summary>
    public int MaxSharedMemoryPerBlockOptIn { get; }

    /// <summary>Shared memory of one multiprocessor, shared by its resident blocks (228 KiB on Hopper).</summary>
    public int SharedMemoryPerMultiprocessor { get; }

    /// <summary>CUcontext.</summary>
    public nint Handle => _handle.DangerousGetHandle();

    /// <summary>The device <c>SEEKSHARP_CUDA_DEVICE</c> names (default 0).</summary>
    public static int DefaultOrdinal() =>
        int.TryParse(Environment.GetEnvironmentVariable("SEEKSHARP_CUDA_DEVICE"), out var ordinal) ? ordinal : 0;

    /// <summary>Initialises the driver and retains device <paramref name="ordinal"/>'s primary context.</summary>
    public static CudaContext Create(CuDriver driver, int ordinal)
    {
        driver.ThrowIfFailed(driver.cuInit(0));
        int count;
        driver.ThrowIfFailed(driver.cuDeviceGetCount(&count));
        if (ordinal < 0 || ordinal >= count)
            throw new ArgumentOutOfRangeException(nameof(ordinal), $"CUDA device {ordinal} does not exist: the driver sees {count} device(s)");
        int device;
        driver.ThrowIfFailed(driver.cuDeviceGet(&device, ordinal));
        var name = DeviceName(driver, device);
        var arch = new GpuArchitecture(Attribute(driver, device, CuDriver.AttributeComputeCapabilityMajor),
            Attribute(driver, device, CuDriver.AttributeComputeCapabilityMinor));
        var sms = Attribute(driver, device, CuDriver.AttributeMultiprocessorCount);
        var sharedOptIn = Attribute(driver, device, CuDriver.AttributeMaxSharedMemoryPerBlockOptin);
        var sharedPerSm = Attribute(driver, device, CuDriver.AttributeMaxSharedMemoryPerMultiprocessor);
        nuint total;
        driver.ThrowIfFailed(driver.cuDeviceTotalMem(&total, device));
        nint context;
        driver.ThrowIfFailed(driver.cuDevicePrimaryCtxRetain(&context, device));
        var handle = new PrimaryContextHandle(driver, context, device);
        var result = new CudaContext(driver, ordinal, handle, name, arch, sms, (long)total, sharedOptIn, sharedPerSm);
        result.MakeCurrent();
        return result;
    }

    /// <summary>
    /// Binds this context to the calling thread. Always asks the driver (cheap next to a launch): a cached per-thread
    /// answer goes stale when a primary context is released and retained again under the same handle.
    /// </summary>
    public void MakeCurrent() => Driver.ThrowIfFailed(Driver.cuCtxSetCurrent(Handle));

    /// <summary>(free, total) device memory in bytes.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        Driver.ThrowIfFailed(Driver.cuMemGetInfo(&free, &total));
        return ((long)free, (long)total);
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => $"cuda:{Ordinal} {Name} ({Architecture})";

    internal static int Attribute(CuDriver driver, int device, int attribute)
    {
        int value;
        driver.ThrowIfFailed(driver.cuDeviceGetAttribute(&value, attribute, device));
        return value;
    }

    internal static string DeviceName(CuDriver driver, int device)
    {
        var buffer = stackalloc byte[256];
        driver.ThrowIfFailed(driver.cuDeviceGetName(buffer, 256, device));
        var length = 0;
        while (length < 256 && buffer[length] != 0) length++;
        return Encoding.UTF8.GetString(buffer, length);
    }
}
