namespace SeekSharp.Cuda.Interop;

/// <summary>A native library we look for, with the file names it may have (unversioned first, then sonames).</summary>
/// <param name="Display">Name used in messages, e.g. "NVRTC".</param>
/// <param name="FileNames">Candidate file names, most preferred first.</param>
public sealed record LibrarySpec(string Display, IReadOnlyList<string> FileNames)
{
    /// <summary>The CUDA driver (installed with the NVIDIA driver, usually in the system library path).</summary>
    public static LibrarySpec Driver { get; } = new("CUDA driver",
        OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"]);

    /// <summary>The runtime compiler; any of CUDA 13, 12 or 11.2+ (its soname stayed 11.2 through 11.8).</summary>
    public static LibrarySpec Nvrtc { get; } = new("NVRTC",
        OperatingSystem.IsWindows()
            ? ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"]
            : ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"]);

    /// <summary>cuBLAS from CUDA 13 or 12.</summary>
    public static LibrarySpec Cublas { get; } = new("cuBLAS",
        OperatingSystem.IsWindows() ? ["cublas64_13.dll", "cublas64_12.dll"] : ["libcublas.so", "libcublas.so.13", "libcublas.so.12"]);

    /// <summary>cuBLASLt from CUDA 13 or 12 (block-scaled FP8 GEMMs need 12.9 or later).</summary>
    public static LibrarySpec CublasLt { get; } = new("cuBLASLt",
        OperatingSystem.IsWindows() ? ["cublasLt64_13.dll", "cublasLt64_12.dll"] : ["libcublasLt.so", "libcublasLt.so.13", "libcublasLt.so.12"]);

    public override string ToString() => $"{Display} ({string.Join(", ", FileNames)})";
}
