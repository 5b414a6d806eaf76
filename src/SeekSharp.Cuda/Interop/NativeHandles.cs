using Microsoft.Win32.SafeHandles;

namespace SeekSharp.Cuda.Interop;

// One SafeHandle per kind of native object. Release never throws: a failing destroy call (e.g. at process exit, after
// the driver has shut down) is ignored, since there is nothing left to free it with.

/// <summary>A retained primary context of one device; release drops our reference (cuDevicePrimaryCtxRelease).</summary>
public sealed class PrimaryContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly CuDriver _driver;
    private readonly int _device;

    public PrimaryContextHandle(CuDriver driver, nint context, int device) : base(ownsHandle: true)
    {
        _driver = driver;
        _device = device;
        SetHandle(context);
    }

    protected override unsafe bool ReleaseHandle() => _driver.cuDevicePrimaryCtxRelease(_device) == CuDriver.Success;
}

/// <summary>A driver object created in a context: made current before it is destroyed (release may run on any thread).</summary>
public abstract class ContextBoundHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    protected ContextBoundHandle(CuDriver driver, nint context, nint handle) : base(ownsHandle: true)
    {
        Driver = driver;
        Context = context;
        SetHandle(handle);
    }

    protected CuDriver Driver { get; }
    protected nint Context { get; }

    protected sealed override unsafe bool ReleaseHandle()
    {
        _ = Driver.cuCtxSetCurrent(Context);
        return Destroy(handle);
    }

    protected abstract bool Destroy(nint value);
}

public sealed class CudaModuleHandle(CuDriver driver, nint context, nint module) : ContextBoundHandle(driver, context, module)
{
    protected override unsafe bool Destroy(nint value) => Driver.cuModuleUnload(value) == CuDriver.Success;
}

public sealed class StreamHandle(CuDriver driver, nint context, nint stream) : ContextBoundHandle(driver, context, stream)
{
    protected override unsafe bool Destroy(nint value) => Driver.cuStreamDestroy(value) == CuDriver.Success;
}

public sealed class EventHandle(CuDriver driver, nint context, nint @event) : ContextBoundHandle(driver, context, @event)
{
    protected override unsafe bool Destroy(nint value) => Driver.cuEventDestroy(value) == CuDriver.Success;
}

/// <summary>Device memory from cuMemAlloc.</summary>
public sealed class DeviceMemoryHandle(CuDriver driver, nint context, nint pointer) : ContextBoundHandle(driver, context, pointer)
{
    protected override unsafe bool Destroy(nint value) => Driver.cuMemFree(value) == CuDriver.Success;
}

/// <summary>Page-locked host memory from cuMemAllocHost.</summary>
public sealed class PinnedHostHandle(CuDriver driver, nint context, nint pointer) : ContextBoundHandle(driver, context, pointer)
{
    protected override unsafe bool Destroy(nint value) => Driver.cuMemFreeHost((void*)value) == CuDriver.Success;
}

/// <summary>A cuBLAS handle (bound to the context current when it was created).</summary>
public sealed class CublasHandle(Cublas cublas, CuDriver driver, nint context, nint value) : ContextBoundHandle(driver, context, value)
{
    protected override unsafe bool Destroy(nint value) => cublas.cublasDestroy(value) == Cublas.Success;
}

/// <summary>An NVRTC program (no context involved).</summary>
public sealed class NvrtcProgramHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly Nvrtc _nvrtc;

    public NvrtcProgramHandle(Nvrtc nvrtc, nint program) : base(ownsHandle: true)
    {
        _nvrtc = nvrtc;
        SetHandle(program);
    }

    protected override unsafe bool ReleaseHandle()
    {
        var program = handle;
        return _nvrtc.nvrtcDestroyProgram(&program) == Nvrtc.Success;
    }
}
