namespace SeekSharp.Core.Compute.Host;

/// <summary>A <see cref="DeviceBuffer"/> in managed host memory: one typed array (F32, I32 or U8).</summary>
public sealed class HostBuffer : DeviceBuffer
{
    private readonly Array _data;

    public HostBuffer(DType dtype, long length) : base(dtype, length)
    {
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), $"{length} elements exceed a host array");
        _data = dtype switch
        {
            DType.F32 => new float[length],
            DType.I32 => new int[length],
            DType.U8 or DType.F8E4M3 => new byte[length],
            _ => throw new NotSupportedException($"host buffers hold F32, I32, U8 or F8E4M3, not {dtype}"),
        };
    }

    public float[] Floats => _data as float[] ?? throw WrongType(DType.F32);
    public int[] Ints => _data as int[] ?? throw WrongType(DType.I32);
    public byte[] Bytes => _data as byte[] ?? throw WrongType(DType.U8);

    /// <summary>The backing array viewed as T (T's size must match the element size).</summary>
    internal Span<T> AsSpan<T>() where T : unmanaged => _data switch
    {
        float[] f => System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(f.AsSpan()),
        int[] i => System.Runtime.InteropServices.MemoryMarshal.Cast<int, T>(i.AsSpan()),
        byte[] b => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(b.AsSpan()),
        _ => throw new InvalidOperationException(),
    };

    private InvalidOperationException WrongType(DType wanted) => new($"buffer {this} is not {wanted}");

    protected override void Release() { }
}
