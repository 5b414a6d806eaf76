using System.Runtime.CompilerServices;

namespace SeekSharp.Cuda.Interop;

/// <summary>
/// NVRTC, CUDA's runtime compiler, as unmanaged function pointers. nvrtcResult is int (0 = success); programs are
/// opaque pointers owned by <see cref="NvrtcProgramHandle"/>.
/// </summary>
public sealed unsafe class Nvrtc
{
    public const int Success = 0;
    public const int ErrorCompilation = 6;

    public Nvrtc(LoadedLibrary library)
    {
        Library = library;
        nvrtcVersion = (delegate* unmanaged<int*, int*, int>)NativeExports.Require(library, "nvrtcVersion");
        nvrtcGetErrorString = (delegate* unmanaged<int, byte*>)NativeExports.Require(library, "nvrtcGetErrorString");
        nvrtcCreateProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)NativeExports.Require(library, "nvrtcCreateProgram");
        nvrtcDestroyProgram = (delegate* unmanaged<nint*, int>)NativeExports.Require(library, "nvrtcDestroyProgram");
        nvrtcCompileProgram = (delegate* unmanaged<nint, int, byte**, int>)NativeExports.Require(library, "nvrtcCompileProgram");
        nvrtcGetProgramLogSize = (delegate* unmanaged<nint, nuint*, int>)NativeExports.Require(library, "nvrtcGetProgramLogSize");
        nvrtcGetProgramLog = (delegate* unmanaged<nint, byte*, int>)NativeExports.Require(library, "nvrtcGetProgramLog");
        nvrtcGetCUBINSize = (delegate* unmanaged<nint, nuint*, int>)NativeExports.Require(library, "nvrtcGetCUBINSize");
        nvrtcGetCUBIN = (delegate* unmanaged<nint, byte*, int>)NativeExports.Require(library, "nvrtcGetCUBIN");
        nvrtcGetPTXSize = (delegate* unmanaged<nint, nuint*, int>)NativeExports.Require(library, "nvrtcGetPTXSize");
        nvrtcGetPTX = (delegate* unmanaged<nint, byte*, int>)NativeExports.Require(library, "nvrtcGetPTX");
        nvrtcGetNumSupportedArchs = (delegate* unmanaged<int*, int>)NativeExports.Require(library, "nvrtcGetNumSupportedArchs");
        nvrtcGetSupportedArchs = (delegate* unmanaged<int*, int>)NativeExports.Require(library, "nvrtcGetSupportedArchs");
    }

    public LoadedLibrary Library { get; }

    public readonly delegate* unmanaged<int*, int*, int> nvrtcVersion;
    public readonly delegate* unmanaged<int, byte*> nvrtcGetErrorString;
    public readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> nvrtcCreateProgram;
    public readonly delegate* unmanaged<nint*, int> nvrtcDestroyProgram;
    public readonly delegate* unmanaged<nint, int, byte**, int> nvrtcCompileProgram;
    public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetProgramLogSize;
    public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetProgramLog;
    public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetCUBINSize;
    public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetCUBIN;
    public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetPTXSize;
    public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetPTX;
    public readonly delegate* unmanaged<int*, int> nvrtcGetNumSupportedArchs;
    public readonly delegate* unmanaged<int*, int> nvrtcGetSupportedArchs;

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the result is NVRTC_SUCCESS.</summary>
    public void ThrowIfFailed(int result, [CallerArgumentExpression(nameof(result))] string call = "", string? detail = null)
    {
        if (result != Success) throw new CudaException("NVRTC", call, result, ErrorName(result), detail);
    }

    /// <summary>NVRTC_ERROR_... for a result code.</summary>
    public string ErrorName(int result) => NativeExports.Utf8(nvrtcGetErrorString(result), $"nvrtcResult {result}");

    /// <summary>NVRTC's own version, e.g. (13, 0); part of the kernel cache key.</summary>
    public (int Major, int Minor) Version
    {
        get
        {
            int major, minor;
            ThrowIfFailed(nvrtcVersion(&major, &minor));
            return (major, minor);
        }
    }

    /// <summary>The real architectures this NVRTC can compile for, as numbers (80, 86, 89, 90, ...), ascending.</summary>
    public int[] SupportedArchitectures()
    {
        int count;
        ThrowIfFailed(nvrtcGetNumSupportedArchs(&count));
        var archs = new int[count];
        fixed (int* p = archs) ThrowIfFailed(nvrtcGetSupportedArchs(p));
        Array.Sort(archs);
        return archs;
    }
}
