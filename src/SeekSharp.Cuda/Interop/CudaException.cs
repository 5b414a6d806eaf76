namespace SeekSharp.Cuda.Interop;

/// <summary>
/// A failed call into a CUDA library (driver, NVRTC or cuBLAS). The message names the library, the failing call
/// as written in our source, and the library's own error name and description.
/// </summary>
public sealed class CudaException : Exception
{
    public CudaException(string library, string call, int code, string errorName, string? detail = null)
        : base(Describe(library, call, code, errorName, detail))
    {
        Library = library;
        Call = call;
        Code = code;
        ErrorName = errorName;
    }

    /// <summary>"CUDA driver", "NVRTC" or "cuBLAS".</summary>
    public string Library { get; }

    /// <summary>The call expression that failed, e.g. <c>Driver.cuMemAlloc(&amp;pointer, bytes)</c>.</summary>
    public string Call { get; }

    /// <summary>The library's numeric result code.</summary>
    public int Code { get; }

    /// <summary>The library's name for <see cref="Code"/> (CUDA_ERROR_OUT_OF_MEMORY, NVRTC_ERROR_COMPILATION, ...).</summary>
    public string ErrorName { get; }

    private static string Describe(string library, string call, int code, string errorName, string? detail) =>
        detail is null
            ? $"{library} call {call} failed: {errorName} ({code})"
            : $"{library} call {call} failed: {errorName} ({code})\n{detail}";
}
