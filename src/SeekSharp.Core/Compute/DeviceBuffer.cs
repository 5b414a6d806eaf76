namespace SeekSharp.Core.Compute;

/// <summary>
/// A flat array of <see cref="Length"/> elements of <see cref="DType"/> owned by one <see cref="IComputeDevice"/>
/// (host memory for the CPU device, device memory for CUDA). Only that device's ops may read or write it.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(DType dtype, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        DType = dtype;
        Length = length;
    }

    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    public long ByteSize => Length * DType.SizeOf();

    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Returns the memory to its device; called once, never throws.</summary>
    protected abstract void Release();

    public override string ToString() => $"{DType}[{Length}]";
}
