using System.IO.MemoryMappedFiles;
using SeekSharp.Core;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// One safetensors file, memory-mapped read-only: tensor bytes are served as spans straight over the mapping
/// (zero-copy). Spans and views must not outlive <see cref="Dispose"/>; getting one afterwards throws.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _fileStart;
    private int _disposed;

    private SafetensorsFile(SafetensorsHeader header, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* fileStart)
    {
        Header = header;
        _map = map;
        _view = view;
        _fileStart = fileStart;
    }

    /// <summary>Full path of the file.</summary>
    public string Path => Header.Path;

    public SafetensorsHeader Header { get; }

    /// <summary>Tensor name → layout, in data-offset order.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors => Header.Tensors;

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>Validates the header and maps the file; throws <see cref="CheckpointFormatException"/> when malformed.</summary>
    public static SafetensorsFile Open(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var stream = SafetensorsHeader.OpenForReading(fullPath);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        var pointerAcquired = false;
        try
        {
            var header = SafetensorsHeader.Read(stream, fullPath);
            // The map takes ownership of the stream; the file is at least 8 bytes, so the mapping is never empty.
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            var viewEnd = (long)view.SafeMemoryMappedViewHandle.ByteLength - view.PointerOffset;
            if (viewEnd < header.DataStart + header.DataLength)
                throw new CheckpointFormatException(fullPath, null, "file shrank while it was being opened");

            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            pointerAcquired = true;
            return new SafetensorsFile(header, map, view, start + view.PointerOffset);
        }
        catch
        {
            if (pointerAcquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            if (map is null) stream.Dispose();
            else map.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => Header.Tensors.ContainsKey(name);

    /// <summary>The tensor's layout; throws <see cref="CheckpointFormatException"/> naming file and tensor when absent.</summary>
    public TensorInfo GetInfo(string name) =>
        Header.Tensors.TryGetValue(name, out var info)
            ? info
            : throw new CheckpointFormatException(Path, name, "no such tensor in this file");

    /// <summary>Zero-copy bytes of a tensor of at most int.MaxValue bytes; use <see cref="GetView"/> for larger ones.</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = GetInfo(name);
        if (info.ByteLength > int.MaxValue)
            throw new InvalidOperationException(
                $"{Path}: '{name}' is {info.ByteLength} bytes, too large for a span; use GetView or GetPointer");
        return new ReadOnlySpan<byte>(DataPointer(info), (int)info.ByteLength);
    }

    /// <summary>Zero-copy elements of a tensor; <typeparamref name="T"/> must have the dtype's element size.</summary>
    public ReadOnlySpan<T> GetSpan<T>(string name) where T : unmanaged
    {
        var info = GetInfo(name);
        CheckElementType<T>(info);
        var count = info.ByteLength / sizeof(T);
        if (count > int.MaxValue)
            throw new InvalidOperationException(
                $"{Path}: '{name}' has {count} elements, too many for a span; use GetView or GetPointer");
        return new ReadOnlySpan<T>(DataPointer(info), (int)count);
    }

    /// <summary>Pointer + length over a tensor of any size.</summary>
    public TensorView GetView(string name)
    {
        var info = GetInfo(name);
        return new TensorView(info, DataPointer(info));
    }

    /// <summary>Raw pointer to the first byte of a tensor; valid until Dispose.</summary>
    public byte* GetPointer(string name) => DataPointer(GetInfo(name));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    private static void CheckElementType<T>(TensorInfo info) where T : unmanaged
    {
        if (sizeof(T) != info.DType.SizeOf())
            throw new InvalidOperationException(
                $"{info.File}: '{info.Name}' is {info.DType.SafetensorsName()} ({info.DType.SizeOf()} bytes per element), " +
                $"cannot be read as {typeof(T).Name} ({sizeof(T)} bytes)");
    }

    private byte* DataPointer(TensorInfo info)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _fileStart + info.DataOffset;
    }
}
