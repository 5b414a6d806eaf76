namespace SeekSharp.IO.Safetensors;

/// <summary>One shard of a checkpoint: its header and mapping are loaded on first use, once, under a lock.</summary>
/// <param name="names">The checkpoint's tensor names, reused when the header is read; null when it has none to share.</param>
internal sealed class CheckpointShard(string path, string manifest, IReadOnlyList<string> tensors, TensorNames? names)
{
    private readonly Lock _lock = new();
    private SafetensorsHeader? _header;
    private SafetensorsFile? _file;
    private bool _closed;

    /// <summary>Full path of the shard file.</summary>
    public string Path { get; } = path;

    /// <summary>Tensors the checkpoint maps to this shard, in map order (never empty).</summary>
    public IReadOnlyList<string> Tensors { get; } = tensors;

    /// <summary>The header, read without mapping the data (or taken from the mapping when already open).</summary>
    public SafetensorsHeader Header()
    {
        lock (_lock)
        {
            ThrowIfClosed();
            return _file?.Header ?? (_header ??= WhenPresent(() => SafetensorsHeader.Read(Path, names)));
        }
    }

    public SafetensorsFile File()
    {
        lock (_lock)
        {
            ThrowIfClosed();
            return _file ??= WhenPresent(() => SafetensorsFile.Open(Path));
        }
    }

    /// <summary>Seeds the header when the checkpoint already read it (single-file checkpoints).</summary>
    public void SetHeader(SafetensorsHeader header)
    {
        lock (_lock) _header = header;
    }

    /// <summary>The tensor's layout, checked against the shard's own header.</summary>
    public TensorInfo Info(SafetensorsHeader header, string name) =>
        header.Tensors.TryGetValue(name, out var info)
            ? info
            : throw new CheckpointFormatException(Path, name,
                $"{System.IO.Path.GetFileName(manifest)} maps this tensor to this shard but the shard does not contain it");

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            _file?.Dispose();
            _file = null;
        }
    }

    /// <summary>Fails fast, at checkpoint open, when the index names a shard that is not there.</summary>
    public void ThrowIfMissing()
    {
        if (!System.IO.File.Exists(Path)) WhenPresent<int>(() => throw new FileNotFoundException(null, Path));
    }

    private T WhenPresent<T>(Func<T> load)
    {
        try
        {
            return load();
        }
        catch (FileNotFoundException e)
        {
            throw new CheckpointFormatException(Path, Tensors[0],
                $"shard file does not exist ({System.IO.Path.GetFileName(manifest)} maps this tensor to it)", e);
        }
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, typeof(SafetensorsCheckpoint));
}
