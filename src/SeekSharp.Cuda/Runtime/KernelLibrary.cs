using SeekSharp.Cuda.Compilation;

namespace SeekSharp.Cuda.Runtime;

/// <summary>
/// The embedded kernel files of this assembly, compiled for one context's GPU on first use (through the disk cache of
/// <see cref="KernelCompiler"/>) and kept loaded for the library's lifetime: one <see cref="CudaModule"/> per .cu file.
/// </summary>
public sealed class KernelLibrary(CudaContext context, KernelCompiler compiler) : IDisposable
{
    private readonly Dictionary<string, CudaModule> _modules = [];
    private bool _disposed;

    public CudaContext Context { get; } = context;
    public KernelCompiler Compiler { get; } = compiler;

    /// <summary>
    /// Whether modules are built for an architecture-specific target (sm_90a: Hopper with NVRTC 12+), the only one where
    /// the warpgroup kernels (wgmma) compile.
    /// </summary>
    public bool BuildsArchSpecific => Compiler.ResolveTarget(Context.Architecture).Name.EndsWith('a');

    /// <summary>The loaded module of Kernels/<paramref name="cuFileName"/> ("elementwise.cu" or "elementwise").</summary>
    public CudaModule Module(string cuFileName)
    {
        var name = KernelSources.Normalize(cuFileName);
        lock (_modules)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_modules.TryGetValue(name, out var module)) return module;
            var compiled = Compiler.CompileEmbedded(name, Context.Architecture);
            module = new CudaModule(Context, name, compiled.Image);
            _modules.Add(name, module);
            return module;
        }
    }

    /// <summary>
    /// Loads an optional fast path (<paramref name="load"/>: its module, functions, attributes) or, where that fails here
    /// (an NVRTC older than the GPU compiles the file to nothing, a kernel needs instructions this build lacks), writes
    /// why and which kernels serve instead to stderr and returns false, so the caller keeps its portable kernels. Out of
    /// memory is not a missing path and propagates.
    /// </summary>
    /// <param name="path">What is missing, e.g. "fp8_gemm: the warpgroup kernels".</param>
    /// <param name="fallback">What runs instead, e.g. "the mma.sync kernels".</param>
    public bool TryLoadOptional<T>(string path, string fallback, Func<T> load, out T loaded)
    {
        try
        {
            loaded = load();
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"{path}: unavailable ({e.Message.Split('\n')[0]}); using {fallback}");
            loaded = default!;
            return false;
        }
    }

    public void Dispose()
    {
        lock (_modules)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var module in _modules.Values) module.Dispose();
            _modules.Clear();
        }
    }
}
