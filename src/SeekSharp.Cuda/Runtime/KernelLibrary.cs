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
