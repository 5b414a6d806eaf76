namespace SeekSharp.Core.Compute;

/// <summary>
/// A row-major [Rows, Cols] window of a <see cref="DeviceBuffer"/>: element (r, c) lives at
/// Offset + r·Stride + c (in elements). Lets ops read a slice of a wider tensor (q_pe inside q, a cache row range)
/// without copying.
/// </summary>
public readonly record struct MatrixView(DeviceBuffer Buffer, long Offset, int Rows, int Cols, int Stride)
{
    /// <summary>A dense [rows, cols] matrix starting at element <paramref name="offset"/>.</summary>
    public static MatrixView Dense(DeviceBuffer buffer, int rows, int cols, long offset = 0) => new(buffer, offset, rows, cols, cols);

    /// <summary>Element index one past the last element the view touches.</summary>
    public long End => Rows == 0 ? Offset : Offset + (long)(Rows - 1) * Stride + Cols;

    /// <summary>Throws unless the view lies inside its buffer with a sane stride; <paramref name="what"/> names it.</summary>
    public void Validate(string what)
    {
        if (Rows < 0 || Cols < 0 || Offset < 0 || Stride < Cols)
            throw new ArgumentException($"{what}: invalid view [{Rows}, {Cols}] stride {Stride} offset {Offset}");
        if (End > Buffer.Length)
            throw new ArgumentException($"{what}: view [{Rows}, {Cols}] stride {Stride} offset {Offset} ends at {End}, past the buffer's {Buffer.Length} elements");
    }
}
