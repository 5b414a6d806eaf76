namespace SeekSharp.IO.Safetensors;

/// <summary>
/// Pointer + length over one tensor's bytes inside a memory-mapped file, for tensors too large for a span
/// (&gt; int.MaxValue bytes). Valid only until the owning <see cref="SafetensorsFile"/> is disposed.
/// </summary>
public readonly unsafe struct TensorView
{
    internal TensorView(TensorInfo info, byte* pointer)
    {
        Info = info;
        Pointer = pointer;
    }

    public TensorInfo Info { get; }

    /// <summary>First byte of the tensor's data in the mapped file.</summary>
    public byte* Pointer { get; }

    public long ByteLength => Info.ByteLength;

    /// <summary>A bounds-checked span over bytes [start, start + length) of the tensor.</summary>
    public ReadOnlySpan<byte> Slice(long start, int length)
    {
        if (Pointer == null) throw new InvalidOperationException("default TensorView has no data");
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (start > ByteLength - length)
            throw new ArgumentOutOfRangeException(nameof(length),
                $"bytes [{start}, {start + length}) are outside tensor '{Info.Name}' ({ByteLength} bytes)");
        return new ReadOnlySpan<byte>(Pointer + start, length);
    }
}
