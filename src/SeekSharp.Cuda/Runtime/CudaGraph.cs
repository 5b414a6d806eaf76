using SeekSharp.Core.Compute;

namespace SeekSharp.Cuda.Runtime;

/// <summary>
/// A captured, instantiated CUDA graph: the device work of one recorded call, replayed with one launch (no per-kernel
/// host cost). It owns the temporaries the recorded work freed (their addresses are baked in) and returns them to the
/// allocator on Dispose. Inputs and outputs are the buffers the recorded call used: refill them between replays.
/// </summary>
public sealed unsafe class CudaGraph : IDeviceGraph
{
    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly CachingAllocator _allocator;
    private readonly List<DeviceBlock> _held;
    private nint _graph;
    private nint _exec;

    internal CudaGraph(CudaContext context, CudaStream stream, CachingAllocator allocator, nint graph, nint exec, List<DeviceBlock> held)
    {
        _context = context;
        _stream = stream;
        _allocator = allocator;
        _graph = graph;
        _exec = exec;
        _held = held;
    }

    /// <summary>Queues one replay on the stream it was captured from.</summary>
    public void Replay() => Replay(_stream);

    /// <summary>Queues one replay on <paramref name="stream"/>.</summary>
    public void Replay(CudaStream stream)
    {
        ObjectDisposedException.ThrowIf(_exec == 0, this);
        _context.MakeCurrent();
        _context.Driver.ThrowIfFailed(_context.Driver.cuGraphLaunch(_exec, stream.Handle), "cuGraphLaunch");
    }

    public void Dispose()
    {
        if (_exec == 0) return;
        _context.MakeCurrent();
        _context.Driver.cuGraphExecDestroy(_exec);
        _context.Driver.cuGraphDestroy(_graph);
        _exec = _graph = 0;
        foreach (var block in _held) _allocator.Free(block);
        _held.Clear();
    }
}
