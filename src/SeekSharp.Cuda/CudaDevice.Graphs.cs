using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Interop;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda;

// CUDA graphs: record a call's device work once, replay it with a single launch.
public sealed partial class CudaDevice : IGraphCapture
{
    /// <summary>
    /// Records the device work <paramref name="body"/> queues into a graph without running it. The body must not wait
    /// for the device (no downloads, no synchronisation: the capture then fails with the driver's error) and should have
    /// run once before, so the allocator serves its temporaries from the cache. Replay with <see cref="Replay"/>.
    /// </summary>
    public unsafe CudaGraph Capture(Action body)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var driver = _context.Driver;
        _context.MakeCurrent();
        _allocator.BeginHold();
        driver.ThrowIfFailed(driver.cuStreamBeginCapture(_stream.Handle, CuDriver.StreamCaptureModeRelaxed), "cuStreamBeginCapture");
        nint graph = 0;
        try
        {
            body();
        }
        catch
        {
            driver.cuStreamEndCapture(_stream.Handle, &graph);   // leaves capture mode; the partial graph is dropped
            if (graph != 0) driver.cuGraphDestroy(graph);
            ReleaseHeld();
            throw;
        }
        var ended = driver.cuStreamEndCapture(_stream.Handle, &graph);
        if (ended != 0)
        {
            ReleaseHeld();
            driver.ThrowIfFailed(ended, "cuStreamEndCapture (was a host wait or an unsupported call made during capture?)");
        }
        nint exec;
        var instantiated = driver.cuGraphInstantiateWithFlags(&exec, graph, 0);
        if (instantiated != 0)
        {
            driver.cuGraphDestroy(graph);
            ReleaseHeld();
            driver.ThrowIfFailed(instantiated, "cuGraphInstantiateWithFlags");
        }
        return new CudaGraph(_context, _stream, _allocator, graph, exec, _allocator.EndHold());
    }

    IDeviceGraph IGraphCapture.Capture(Action body) => Capture(body);

    /// <summary>Queues one replay of <paramref name="graph"/> on this device's stream.</summary>
    public void Replay(CudaGraph graph) => graph.Replay(_stream);

    private void ReleaseHeld()
    {
        foreach (var block in _allocator.EndHold()) _allocator.Free(block);
    }
}
