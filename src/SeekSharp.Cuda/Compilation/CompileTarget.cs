namespace SeekSharp.Cuda.Compilation;

/// <summary>
/// What NVRTC is asked to produce: a CUBIN for a real architecture ("sm_90a", "sm_86") or, when NVRTC is older than
/// the GPU, PTX for the newest virtual architecture it knows ("compute_89"), which the driver JIT-compiles.
/// </summary>
public readonly record struct CompileTarget(string Name, bool IsCubin)
{
    public string Option => $"--gpu-architecture={Name}";

    public string Extension => IsCubin ? "cubin" : "ptx";

    public override string ToString() => Name;
}

/// <summary>A compiled kernel file: the image for cuModuleLoadData and where it came from.</summary>
public sealed record CompiledKernel(string FileName, CompileTarget Target, byte[] Image, bool FromCache, string CacheKey);
