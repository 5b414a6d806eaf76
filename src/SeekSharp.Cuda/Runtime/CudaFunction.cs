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

    /// <summary>
    /// Queues the kernel on <paramref name="stream"/> (returns before it runs). With <paramref name="dependent"/> and
    /// <see cref="CudaContext.DependentLaunch"/> on, it is launched with programmatic stream serialization: it may start
    /// once every block of the previous kernel has run <c>griddepcontrol.launch_dependents</c> (or exited), so only a
    /// kernel that executes <c>griddepcontrol.wait</c> before touching memory earlier kernels write or read may ask
    /// for it. Otherwise, and where PDL is unavailable, it is a plain cuLaunchKernel.
    /// </summary>
    public void Launch(CudaStream stream, Dim3 grid, Dim3 block, int dynamicSharedBytes, KernelArgs args, bool dependent = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) return;  // nothing to do: CUDA rejects empty grids
        _context.MakeCurrent();
        var count = args.Count;
        Span<long> values = stackalloc long[Math.Max(count, 1)];
        args.CopyTo(values);
        var pointers = stackalloc void*[Math.Max(count, 1)];
        var programmatic = dependent && _context.DependentLaunch;
        fixed (long* slots = values)
        {
            for (var i = 0; i < count; i++) pointers[i] = slots + i;
            var result = programmatic
                ? LaunchProgrammatic(stream, grid, block, dynamicSharedBytes, pointers)
                : _context.Driver.cuLaunchKernel(_handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z,
                    (uint)dynamicSharedBytes, stream.Handle, pointers, null);
            // the message is built only on failure (this runs per launch); during stream capture the throw reaches
            // CudaDevice.Capture, which ends the capture
            if (result != Interop.CuDriver.Success)
                _context.Driver.ThrowIfFailed(result, $"{(programmatic ? "cuLaunchKernelEx" : "cuLaunchKernel")}({Name}, grid {grid}, " +
                    $"block {block}, shared {dynamicSharedBytes}{(programmatic ? ", programmatic stream serialization" : "")})");
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

    private int LaunchProgrammatic(CudaStream stream, Dim3 grid, Dim3 block, int dynamicSharedBytes, void** parameters)
    {
        var attribute = Interop.CuLaunchAttribute.Int(Interop.CuLaunchAttribute.ProgrammaticStreamSerialization, 1);
        var config = new Interop.CuLaunchConfig
        {
            GridDimX = grid.X, GridDimY = grid.Y, GridDimZ = grid.Z,
            BlockDimX = block.X, BlockDimY = block.Y, BlockDimZ = block.Z,
            SharedMemBytes = (uint)dynamicSharedBytes,
            Stream = stream.Handle,
            Attributes = &attribute,
            AttributeCount = 1,
        };
        return _context.Driver.cuLaunchKernelEx(&config, _handle, parameters, null);
    }

    internal static byte[] NulTerminated(string name) => Encoding.ASCII.GetBytes(name + "\0");
}
