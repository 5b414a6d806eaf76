using System.Runtime.CompilerServices;

namespace SeekSharp.Cuda.Interop;

/// <summary>
/// The CUDA driver API (libcuda) as unmanaged function pointers, resolved once when the library is loaded. Field names
/// are the exported C symbols (versioned <c>_v2</c> names where the header maps the plain name to them), so a grep for
/// the CUDA name finds the call. Device pointers (CUdeviceptr) are <see cref="nint"/>; CUresult is int (0 = success).
/// </summary>
public sealed unsafe class CuDriver
{
    public const int Success = 0;
    public const int ErrorOutOfMemory = 2;
    public const int ErrorNoDevice = 100;
    public const int ErrorNotReady = 600;

    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;
    public const int AttributeMaxSharedMemoryPerBlockOptin = 97;
    public const int AttributeMaxSharedMemoryPerMultiprocessor = 81;
    public const int FunctionAttributeMaxDynamicSharedSizeBytes = 8;
    public const int FunctionAttributeSharedSizeBytes = 1;   // static __shared__ bytes of a kernel
    public const int FunctionAttributeNumRegs = 4;
    public const uint StreamNonBlocking = 1;

    /// <summary>CU_STREAM_CAPTURE_MODE_RELAXED: other threads' and the allocator's driver calls stay legal during capture.</summary>
    public const int StreamCaptureModeRelaxed = 2;
    public const uint EventDefault = 0;

    public CuDriver(LoadedLibrary library)
    {
        Library = library;
        cuInit = (delegate* unmanaged<uint, int>)NativeExports.Require(library, "cuInit");
        cuDriverGetVersion = (delegate* unmanaged<int*, int>)NativeExports.Require(library, "cuDriverGetVersion");
        cuGetErrorName = (delegate* unmanaged<int, byte**, int>)NativeExports.Require(library, "cuGetErrorName");
        cuGetErrorString = (delegate* unmanaged<int, byte**, int>)NativeExports.Require(library, "cuGetErrorString");
        cuDeviceGetCount = (delegate* unmanaged<int*, int>)NativeExports.Require(library, "cuDeviceGetCount");
        cuDeviceGet = (delegate* unmanaged<int*, int, int>)NativeExports.Require(library, "cuDeviceGet");
        cuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)NativeExports.Require(library, "cuDeviceGetName");
        cuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)NativeExports.Require(library, "cuDeviceGetAttribute");
        cuDeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)NativeExports.Require(library, "cuDeviceTotalMem_v2");
        cuDevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)NativeExports.Require(library, "cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)NativeExports.Require(library, "cuDevicePrimaryCtxRelease_v2");
        cuCtxSetCurrent = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuCtxSetCurrent");
        cuCtxSynchronize = (delegate* unmanaged<int>)NativeExports.Require(library, "cuCtxSynchronize");
        cuMemGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)NativeExports.Require(library, "cuMemGetInfo_v2");
        cuMemAlloc = (delegate* unmanaged<nint*, nuint, int>)NativeExports.Require(library, "cuMemAlloc_v2");
        cuMemFree = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuMemFree_v2");
        cuMemAllocHost = (delegate* unmanaged<void**, nuint, int>)NativeExports.Require(library, "cuMemAllocHost_v2");
        cuMemFreeHost = (delegate* unmanaged<void*, int>)NativeExports.Require(library, "cuMemFreeHost");
        cuMemcpyHtoDAsync = (delegate* unmanaged<nint, void*, nuint, nint, int>)NativeExports.Require(library, "cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync = (delegate* unmanaged<void*, nint, nuint, nint, int>)NativeExports.Require(library, "cuMemcpyDtoHAsync_v2");
        cuMemcpyDtoDAsync = (delegate* unmanaged<nint, nint, nuint, nint, int>)NativeExports.Require(library, "cuMemcpyDtoDAsync_v2");
        cuMemsetD8Async = (delegate* unmanaged<nint, byte, nuint, nint, int>)NativeExports.Require(library, "cuMemsetD8Async");
        cuStreamCreate = (delegate* unmanaged<nint*, uint, int>)NativeExports.Require(library, "cuStreamCreate");
        cuStreamDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuStreamDestroy_v2");
        cuStreamSynchronize = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuStreamSynchronize");
        cuEventCreate = (delegate* unmanaged<nint*, uint, int>)NativeExports.Require(library, "cuEventCreate");
        cuEventDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuEventDestroy_v2");
        cuEventRecord = (delegate* unmanaged<nint, nint, int>)NativeExports.Require(library, "cuEventRecord");
        cuEventSynchronize = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuEventSynchronize");
        cuEventQuery = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuEventQuery");
        // CUDA 12.8 added cuEventElapsedTime_v2 and CUDA 13 headers map the plain name to it; same signature.
        cuEventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)NativeExports.RequireAny(library, "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuModuleLoadData = (delegate* unmanaged<nint*, void*, int>)NativeExports.Require(library, "cuModuleLoadData");
        cuModuleUnload = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuModuleUnload");
        cuModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)NativeExports.Require(library, "cuModuleGetFunction");
        cuFuncSetAttribute = (delegate* unmanaged<nint, int, int, int>)NativeExports.Require(library, "cuFuncSetAttribute");
        cuFuncGetAttribute = (delegate* unmanaged<int*, int, nint, int>)NativeExports.Require(library, "cuFuncGetAttribute");
        cuLaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)
            NativeExports.Require(library, "cuLaunchKernel");
        cuStreamBeginCapture = (delegate* unmanaged<nint, int, int>)NativeExports.RequireAny(library, "cuStreamBeginCapture_v2", "cuStreamBeginCapture");
        cuStreamEndCapture = (delegate* unmanaged<nint, nint*, int>)NativeExports.Require(library, "cuStreamEndCapture");
        cuGraphInstantiateWithFlags = (delegate* unmanaged<nint*, nint, ulong, int>)NativeExports.Require(library, "cuGraphInstantiateWithFlags");
        cuGraphLaunch = (delegate* unmanaged<nint, nint, int>)NativeExports.Require(library, "cuGraphLaunch");
        cuGraphExecDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuGraphExecDestroy");
        cuGraphDestroy = (delegate* unmanaged<nint, int>)NativeExports.Require(library, "cuGraphDestroy");
    }

    public LoadedLibrary Library { get; }

    public readonly delegate* unmanaged<uint, int> cuInit;
    public readonly delegate* unmanaged<int*, int> cuDriverGetVersion;
    public readonly delegate* unmanaged<int, byte**, int> cuGetErrorName;
    public readonly delegate* unmanaged<int, byte**, int> cuGetErrorString;
    public readonly delegate* unmanaged<int*, int> cuDeviceGetCount;
    public readonly delegate* unmanaged<int*, int, int> cuDeviceGet;
    public readonly delegate* unmanaged<byte*, int, int, int> cuDeviceGetName;
    public readonly delegate* unmanaged<int*, int, int, int> cuDeviceGetAttribute;
    public readonly delegate* unmanaged<nuint*, int, int> cuDeviceTotalMem;
    public readonly delegate* unmanaged<nint*, int, int> cuDevicePrimaryCtxRetain;
    public readonly delegate* unmanaged<int, int> cuDevicePrimaryCtxRelease;
    public readonly delegate* unmanaged<nint, int> cuCtxSetCurrent;
    public readonly delegate* unmanaged<int> cuCtxSynchronize;
    public readonly delegate* unmanaged<nuint*, nuint*, int> cuMemGetInfo;
    public readonly delegate* unmanaged<nint*, nuint, int> cuMemAlloc;
    public readonly delegate* unmanaged<nint, int> cuMemFree;
    public readonly delegate* unmanaged<void**, nuint, int> cuMemAllocHost;
    public readonly delegate* unmanaged<void*, int> cuMemFreeHost;
    public readonly delegate* unmanaged<nint, void*, nuint, nint, int> cuMemcpyHtoDAsync;
    public readonly delegate* unmanaged<void*, nint, nuint, nint, int> cuMemcpyDtoHAsync;
    public readonly delegate* unmanaged<nint, nint, nuint, nint, int> cuMemcpyDtoDAsync;
    public readonly delegate* unmanaged<nint, byte, nuint, nint, int> cuMemsetD8Async;
    public readonly delegate* unmanaged<nint*, uint, int> cuStreamCreate;
    public readonly delegate* unmanaged<nint, int> cuStreamDestroy;
    public readonly delegate* unmanaged<nint, int> cuStreamSynchronize;
    public readonly delegate* unmanaged<nint*, uint, int> cuEventCreate;
    public readonly delegate* unmanaged<nint, int> cuEventDestroy;
    public readonly delegate* unmanaged<nint, nint, int> cuEventRecord;
    public readonly delegate* unmanaged<nint, int> cuEventSynchronize;
    public readonly delegate* unmanaged<nint, int> cuEventQuery;
    public readonly delegate* unmanaged<float*, nint, nint, int> cuEventElapsedTime;
    public readonly delegate* unmanaged<nint*, void*, int> cuModuleLoadData;
    public readonly delegate* unmanaged<nint, int> cuModuleUnload;
    public readonly delegate* unmanaged<nint*, nint, byte*, int> cuModuleGetFunction;
    public readonly delegate* unmanaged<nint, int, int, int> cuFuncSetAttribute;
    public readonly delegate* unmanaged<int*, int, nint, int> cuFuncGetAttribute;
    public readonly delegate* unmanaged<nint, int, int> cuStreamBeginCapture;
    public readonly delegate* unmanaged<nint, nint*, int> cuStreamEndCapture;
    public readonly delegate* unmanaged<nint*, nint, ulong, int> cuGraphInstantiateWithFlags;
    public readonly delegate* unmanaged<nint, nint, int> cuGraphLaunch;
    public readonly delegate* unmanaged<nint, int> cuGraphExecDestroy;
    public readonly delegate* unmanaged<nint, int> cuGraphDestroy;
    public readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> cuLaunchKernel;

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the result is CUDA_SUCCESS.</summary>
    public void ThrowIfFailed(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != Success) throw new CudaException("CUDA driver", call, result, ErrorName(result), ErrorString(result));
    }

    /// <summary>CUDA_ERROR_... for a result code (the number when the driver does not know it).</summary>
    public string ErrorName(int result)
    {
        byte* text = null;
        return cuGetErrorName(result, &text) == Success ? NativeExports.Utf8(text, $"CUresult {result}") : $"CUresult {result}";
    }

    /// <summary>The driver's description of a result code.</summary>
    public string ErrorString(int result)
    {
        byte* text = null;
        return cuGetErrorString(result, &text) == Success ? NativeExports.Utf8(text, "") : "";
    }

    /// <summary>The driver's CUDA version as (major, minor), e.g. (13, 0).</summary>
    public (int Major, int Minor) Version
    {
        get
        {
            int version;
            ThrowIfFailed(cuDriverGetVersion(&version));
            return (version / 1000, version % 1000 / 10);
        }
    }
}
