namespace SeekSharp.Cuda.Runtime;

/// <summary>
/// Kernel parameters, added fluently in the kernel's parameter order. Each value lives in an 8-byte slot; the driver
/// reads as many bytes as the parameter's type has (little-endian, so a 4-byte int or float sits in the low half).
/// </summary>
public sealed class KernelArgs
{
    private readonly List<long> _slots = new(16);

    public int Count => _slots.Count;

    /// <summary>A device pointer (CUdeviceptr, or a T* parameter).</summary>
    public KernelArgs Ptr(nint devicePointer)
    {
        _slots.Add(devicePointer);
        return this;
    }

    public KernelArgs Int(int v)
    {
        _slots.Add((uint)v);
        return this;
    }

    public KernelArgs Long(long v)
    {
        _slots.Add(v);
        return this;
    }

    public KernelArgs Float(float v)
    {
        _slots.Add(BitConverter.SingleToUInt32Bits(v));
        return this;
    }

    /// <summary>Copies the slots into <paramref name="values"/> (Count long).</summary>
    internal void CopyTo(Span<long> values)
    {
        for (var i = 0; i < _slots.Count; i++) values[i] = _slots[i];
    }
}
