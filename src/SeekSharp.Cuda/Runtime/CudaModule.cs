using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Runtime;

/// <summary>A compiled kernel file (CUBIN or PTX) loaded into a context; functions are looked up once and cached.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly CudaContext _context;
    private readonly CudaModuleHandle _handle;
    private readonly Dictionary<string, CudaFunction> _functions = [];

    /// <summary>Loads <paramref name="image"/> (CUBIN, or NUL-terminated PTX the driver JIT-compiles).</summary>
    public CudaModule(CudaContext context, string fileName, ReadOnlySpan<byte> image)
    {
        _context = context;
        FileName = fileName;
        context.MakeCurrent();
        nint module;
        fixed (byte* data = image)
            context.Driver.ThrowIfFailed(context.Driver.cuModuleLoadData(&module, data), $"cuModuleLoadData({fileName})");
        _handle = new CudaModuleHandle(context.Driver, context.Handle, module);
    }

    /// <summary>The .cu file it was compiled from.</summary>
    public string FileName { get; }

    /// <summary>The kernel called <paramref name="name"/> (its extern "C" name).</summary>
    public CudaFunction Function(string name)
    {
        lock (_functions)
        {
            if (_functions.TryGetValue(name, out var cached)) return cached;
            _context.MakeCurrent();
            nint function;
            var bytes = CudaFunction.NulTerminated(name);
            fixed (byte* p = bytes)
            {
                _context.Driver.ThrowIfFailed(_context.Driver.cuModuleGetFunction(&function, _handle.DangerousGetHandle(), p),
                    $"cuModuleGetFunction({FileName}, {name})");
            }
            var result = new CudaFunction(_context, function, name);
            _functions.Add(name, result);
            return result;
        }
    }

    public void Dispose() => _handle.Dispose();
}
