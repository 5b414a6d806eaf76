using System.Text;

namespace SeekSharp.Cuda.Runtime;

/// <summary>One <c>extern "C" __global__</c> function of a loaded <see cref="CudaModule"/>.</summary>
public readonly unsafe struct CudaFunction
{
    private readonly CudaContext _context;
    private readonly nint _handle;

    internal CudaFunction(CudaContext context, nint handle, string name)
    {
        _context = context;
        _handle = handle;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Queues the kernel on <paramref name="stream"/> (returns before it runs).</summary>
    public void Launch(CudaStream stream, Dim3 grid, Dim3 block, int dynamicSharedBytes, KernelArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) return;  // nothing to do: CUDA rejects empty grids
        _context.MakeCurrent();
        var count = args.Count;
        Span<long> values = stackalloc long[Math.Max(count, 1)];
        args.CopyTo(values);
        var pointers = stackalloc void*[Math.Max(count, 1)];
        fixed (long* slots = values)
        {
            for (var i = 0; i < count; i++) pointers[i] = slots + i;
            var result = _context.Driver.cuLaunchKernel(_handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z,
                (uint)dynamicSharedBytes, stream.Handle, pointers, null);
            _context.Driver.ThrowIfFailed(result, $"cuLaunchKernel({Name}, grid {grid}, block {block}, shared {dynamicSharedBytes})");
        }
    }

    /// <summary>Allows launches with up to <paramref name="bytes"/> of dynamic shared memory (needed above 48 KiB).</summary>
    public void SetMaxDynamicSharedBytes(int bytes)
    {
        _context.MakeCurrent();
        _context.Driver.ThrowIfFailed(_context.Driver.cuFuncSetAttribute(_handle,
            Interop.CuDriver.FunctionAttributeMaxDynamicSharedSizeBytes, bytes), $"cuFuncSetAttribute({Name}, max dynamic shared, {bytes})");
    }

    /// <summary>Registers each thread of this kernel uses (cuFuncGetAttribute NUM_REGS).</summary>
    public int Registers() => Attribute(Interop.CuDriver.FunctionAttributeNumRegs, "registers");

    /// <summary>Bytes of the kernel's static <c>__shared__</c> arrays; dynamic shared memory gets the opt-in limit minus these.</summary>
    public int StaticSharedBytes() => Attribute(Interop.CuDriver.FunctionAttributeSharedSizeBytes, "static shared bytes");

    private int Attribute(int attribute, string what)
    {
        _context.MakeCurrent();
        int value;
        _context.Driver.ThrowIfFailed(_context.Driver.cuFuncGetAttribute(&value, attribute, _handle), $"cuFuncGetAttribute({Name}, {what})");
        return value;
    }

    internal static byte[] NulTerminated(string name) => Encoding.ASCII.GetBytes(name + "\0");
}
