using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Runtime;

/// <summary>An in-order queue of device work (non-blocking with respect to the legacy default stream).</summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly StreamHandle _handle;

    public CudaStream(CudaContext context)
    {
        Context = context;
        context.MakeCurrent();
        nint stream;
        context.Driver.ThrowIfFailed(context.Driver.cuStreamCreate(&stream, CuDriver.StreamNonBlocking));
        _handle = new StreamHandle(context.Driver, context.Handle, stream);
    }

    public CudaContext Context { get; }

    /// <summary>CUstream.</summary>
    public nint Handle => _handle.DangerousGetHandle();

    /// <summary>Waits until every operation queued so far has finished.</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        Context.Driver.ThrowIfFailed(Context.Driver.cuStreamSynchronize(Handle));
    }

    public void Dispose() => _handle.Dispose();
}
