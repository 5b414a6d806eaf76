using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Runtime;

/// <summary>
/// Page-locked host memory (cuMemAllocHost): the DMA engines copy from and to it directly, and asynchronous copies
/// need it. <see cref="Ready"/> marks the last copy that used it, so a caller can wait before overwriting.
/// </summary>
public sealed unsafe class PinnedHostBuffer : IDisposable
{
    private readonly PinnedHostHandle _handle;

    public PinnedHostBuffer(CudaContext context, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        context.MakeCurrent();
        void* pointer;
        context.Driver.ThrowIfFailed(context.Driver.cuMemAllocHost(&pointer, (nuint)bytes));
        _handle = new PinnedHostHandle(context.Driver, context.Handle, (nint)pointer);
        Bytes = bytes;
        try
        {
            Ready = new CudaEvent(context);
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    public long Bytes { get; }

    /// <summary>Host address of byte 0.</summary>
    public nint Pointer => _handle.DangerousGetHandle();

    /// <summary>Recorded after the last asynchronous copy that reads or writes this buffer.</summary>
    public CudaEvent Ready { get; }

    public Span<byte> AsSpan(int bytes) => new((void*)Pointer, bytes);

    public void Dispose()
    {
        Ready.Dispose();
        _handle.Dispose();
    }
}
