using System.Buffers;
using System.Buffers.Binary;
using System.Collections.ObjectModel;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// The parsed and validated header of one safetensors file: tensor layout and metadata, read with plain file I/O
/// (8 + N bytes), never touching the tensor data.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>Largest header the reference implementation accepts (huggingface/safetensors MAX_HEADER_SIZE).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private SafetensorsHeader(
        string path, IReadOnlyDictionary<string, TensorInfo> tensors, IReadOnlyDictionary<string, string> metadata,
        long dataStart, long dataLength)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
        DataLength = dataLength;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Tensor name → layout, enumerated in data-offset order.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when the file has none), in header order.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>File offset of the data buffer (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Size of the data buffer in bytes; the file is exactly DataStart + DataLength bytes long.</summary>
    public long DataLength { get; }

    /// <summary>Reads and validates the header of <paramref name="path"/>; throws <see cref="CheckpointFormatException"/> when malformed.</summary>
    public static SafetensorsHeader Read(string path) => Read(path, null);

    /// <param name="names">Strings to reuse for tensor names (a checkpoint's), or null.</param>
    internal static SafetensorsHeader Read(string path, TensorNames? names)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        using var stream = OpenForReading(fullPath);
        return Read(stream, fullPath, names);
    }

    internal static FileStream OpenForReading(string fullPath) =>
        new(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);

    /// <summary>Reads the header from an open stream over the whole file (position is ignored and changed).</summary>
    internal static SafetensorsHeader Read(FileStream stream, string fullPath, TensorNames? names = null)
    {
        var fileLength = stream.Length;
        if (fileLength < 8)
            throw new CheckpointFormatException(fullPath, null,
                $"file is {fileLength} bytes, shorter than the 8-byte header length field");

        Span<byte> lengthField = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(lengthField);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);
        if (headerLength > MaxHeaderLength)
            throw new CheckpointFormatException(fullPath, null,
                $"header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        if (headerLength > (ulong)(fileLength - 8))
            throw new CheckpointFormatException(fullPath, null,
                $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");

        // a checkpoint reads 163 headers of ~70 KB: a pooled buffer keeps them off the (large-object) heap
        var buffer = ArrayPool<byte>.Shared.Rent((int)headerLength);
        SafetensorsHeaderJson.Result parsed;
        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;
        try
        {
            var json = buffer.AsMemory(0, (int)headerLength);
            stream.ReadExactly(json.Span);
            parsed = SafetensorsHeaderJson.Parse(fullPath, json, dataLength, names);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var ordered = SafetensorsLayout.CheckCoverage(fullPath, parsed.Entries, dataLength);

        var tensors = new OrderedDictionary<string, TensorInfo>(ordered.Count, StringComparer.Ordinal);
        foreach (var e in ordered)
            tensors.Add(e.Name, new TensorInfo(e.Name, e.DType, e.Shape, fullPath, dataStart + e.Begin, e.End - e.Begin));

        return new SafetensorsHeader(fullPath, new ReadOnlyDictionary<string, TensorInfo>(tensors),
            new ReadOnlyDictionary<string, string>(parsed.Metadata), dataStart, dataLength);
    }
}
