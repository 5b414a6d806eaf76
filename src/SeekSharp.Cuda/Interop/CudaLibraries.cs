namespace SeekSharp.Cuda.Interop;

/// <summary>
/// The process-wide CUDA libraries, each found with <see cref="LibrarySearch.Default"/> and loaded on first use only
/// (a CPU-only run never touches them). A library that is missing or lacks a symbol is remembered with the sentence
/// saying why.
/// </summary>
public static class CudaLibraries
{
    private static readonly Lazy<Loaded<CuDriver>> s_driver = new(() => Load(LibrarySpec.Driver, l => new CuDriver(l)));
    private static readonly Lazy<Loaded<Nvrtc>> s_nvrtc = new(() => Load(LibrarySpec.Nvrtc, l => new Nvrtc(l)));
    private static readonly Lazy<Loaded<Cublas>> s_cublas = new(() => Load(LibrarySpec.Cublas, l => new Cublas(l)));
    private static readonly Lazy<Loaded<CublasLt>> s_cublasLt = new(() => Load(LibrarySpec.CublasLt, l => new CublasLt(l)));

    /// <summary>The driver API, or throws <see cref="InvalidOperationException"/> with the reason it is missing.</summary>
    public static CuDriver Driver => s_driver.Value.Required;

    /// <summary>NVRTC, or throws with the reason it is missing.</summary>
    public static Nvrtc Nvrtc => s_nvrtc.Value.Required;

    /// <summary>cuBLAS, or throws with the reason it is missing.</summary>
    public static Cublas Cublas => s_cublas.Value.Required;

    public static CuDriver? TryDriver(out string? reason) => s_driver.Value.Try(out reason);
    public static Nvrtc? TryNvrtc(out string? reason) => s_nvrtc.Value.Try(out reason);
    public static Cublas? TryCublas(out string? reason) => s_cublas.Value.Try(out reason);

    /// <summary>cuBLASLt, or null with the reason (optional: only the block-scaled FP8 GEMM uses it).</summary>
    public static CublasLt? TryCublasLt(out string? reason) => s_cublasLt.Value.Try(out reason);

    /// <summary>Loads <paramref name="spec"/> through <paramref name="search"/> and binds its API; the reason on failure.</summary>
    public static T? TryLoad<T>(LibrarySearch search, LibrarySpec spec, Func<LoadedLibrary, T> bind, out string? reason) where T : class =>
        Load(spec, bind, search).Try(out reason);

    private static Loaded<T> Load<T>(LibrarySpec spec, Func<LoadedLibrary, T> bind, LibrarySearch? search = null) where T : class
    {
        search ??= LibrarySearch.Default;
        var library = search.TryLoad(spec);
        if (library is null) return new Loaded<T>(null, search.DescribeMissing(spec));
        try
        {
            return new Loaded<T>(bind(library), null);
        }
        catch (EntryPointNotFoundException e)
        {
            return new Loaded<T>(null, $"{e.Message}: it is too old or not a CUDA library.");
        }
    }

    private sealed record Loaded<T>(T? Api, string? Reason) where T : class
    {
        public T Required => Api ?? throw new InvalidOperationException(Reason);

        public T? Try(out string? reason)
        {
            reason = Reason;
            return Api;
        }
    }
}
