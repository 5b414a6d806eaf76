using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Runtime;

/// <summary>A marker in a stream: for waiting on work up to a point and for timing with <see cref="ElapsedMilliseconds"/>.</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private readonly EventHandle _handle;

    public CudaEvent(CudaContext context)
    {
        Context = context;
        context.MakeCurrent();
        nint @event;
        context.Driver.ThrowIfFailed(context.Driver.cuEventCreate(&@event, CuDriver.EventDefault));
        _handle = new EventHandle(context.Driver, context.Handle, @event);
    }

    public CudaContext Context { get; }

    /// <summary>CUevent.</summary>
    public nint Handle => _handle.DangerousGetHandle();

    /// <summary>Marks the current end of <paramref name="stream"/>'s queue.</summary>
    public void Record(CudaStream stream)
    {
        Context.MakeCurrent();
        Context.Driver.ThrowIfFailed(Context.Driver.cuEventRecord(Handle, stream.Handle));
    }

    /// <summary>Waits until the work before the last <see cref="Record"/> has finished.</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        Context.Driver.ThrowIfFailed(Context.Driver.cuEventSynchronize(Handle));
    }

    /// <summary>Whether the recorded work has finished (without waiting).</summary>
    public bool IsComplete
    {
        get
        {
            Context.MakeCurrent();
            var result = Context.Driver.cuEventQuery(Handle);
            if (result == CuDriver.ErrorNotReady) return false;
            Context.Driver.ThrowIfFailed(result);
            return true;
        }
    }

    /// <summary>Milliseconds between two recorded events (both must have completed; call <see cref="Synchronize"/> on end).</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        start.Context.MakeCurrent();
        float ms;
        start.Context.Driver.ThrowIfFailed(start.Context.Driver.cuEventElapsedTime(&ms, start.Handle, end.Handle));
        return ms;
    }

    public void Dispose() => _handle.Dispose();
}
