using System.Collections.ObjectModel;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// A model folder: shards listed by <c>model.safetensors.index.json</c> when present, else exactly <c>model.safetensors</c>.
/// Shards are mapped lazily on first data access and cached; all members are thread-safe.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";

    private readonly Dictionary<string, CheckpointShard> _shardOf;   // tensor → shard
    private readonly CheckpointShard[] _shards;                      // ordinal by file name
    private readonly string _manifest;                               // index or single file: where names come from
    private readonly (string Tensor, string ShardPath)[] _map;      // in map order, for WeightMap
    private IReadOnlyDictionary<string, string>? _weightMap;
    private int _disposed;

    private SafetensorsCheckpoint(string directory, CheckpointIndex? index, string manifest,
        (string Tensor, string ShardPath)[] map, Dictionary<string, CheckpointShard> shardOf, CheckpointShard[] shards)
    {
        Directory = directory;
        Index = index;
        _manifest = manifest;
        _map = map;
        _shardOf = shardOf;
        _shards = shards;
    }

    /// <summary>Full path of the model folder.</summary>
    public string Directory { get; }

    /// <summary>The parsed index, or null for a single-file checkpoint.</summary>
    public CheckpointIndex? Index { get; }

    /// <summary>Tensor name → full path of the shard that holds it, in map order.</summary>
    /// <remarks>Built on first use: opening a real checkpoint (~91k tensors) does not need it.</remarks>
    public IReadOnlyDictionary<string, string> WeightMap =>
        LazyInitializer.EnsureInitialized(ref _weightMap, () =>
        {
            var map = new OrderedDictionary<string, string>(_map.Length, StringComparer.Ordinal);
            foreach (var (tensor, shardPath) in _map) map.Add(tensor, shardPath);
            return new ReadOnlyDictionary<string, string>(map);
        });

    /// <summary>Full paths of all shards, ordinal-sorted.</summary>
    public IReadOnlyList<string> ShardPaths => _shards.Select(s => s.Path).ToArray();

    /// <summary>Opens a model folder; only headers needed to know the tensor names are read, no shard is mapped.</summary>
    public static SafetensorsCheckpoint Open(string directory)
    {
        var folder = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(folder)) throw new DirectoryNotFoundException($"checkpoint folder not found: {folder}");

        var indexPath = Path.Combine(folder, CheckpointIndex.FileName);
        if (File.Exists(indexPath))
        {
            var index = CheckpointIndex.Read(indexPath);
            var shardPaths = index.ShardFiles.ToDictionary(f => f, f => Path.Combine(folder, f), StringComparer.Ordinal);
            return Create(folder, index, indexPath, index.WeightMap.Select(p => (p.Key, shardPaths[p.Value])).ToArray(), null);
        }

        var singlePath = Path.Combine(folder, SingleFileName);
        if (File.Exists(singlePath))
        {
            var header = SafetensorsHeader.Read(singlePath);
            return Create(folder, null, singlePath, header.Tensors.Keys.Select(n => (n, singlePath)).ToArray(), header);
        }

        throw new CheckpointFormatException(folder, null,
            $"checkpoint folder has neither {CheckpointIndex.FileName} nor {SingleFileName}");
    }

    /// <summary>Reads only <c>model.safetensors.index.json</c> of a folder (opens no shard).</summary>
    public static CheckpointIndex ReadIndex(string directory)
    {
        var indexPath = Path.Combine(Path.GetFullPath(directory), CheckpointIndex.FileName);
        if (!File.Exists(indexPath)) throw new CheckpointFormatException(indexPath, null, "index file does not exist");
        return CheckpointIndex.Read(indexPath);
    }

    public bool Contains(string name) => _shardOf.ContainsKey(name);

    /// <summary>The tensor's layout from its shard's header (the shard is not mapped).</summary>
    public TensorInfo GetInfo(string name)
    {
        var shard = ShardOf(name);
        return shard.Info(shard.Header(), name);
    }

    /// <summary>Zero-copy bytes of a tensor (≤ int.MaxValue bytes); maps its shard on first use.</summary>
    public ReadOnlySpan<byte> GetBytes(string name) => OpenFileFor(name).GetBytes(name);

    /// <summary>Zero-copy elements of a tensor; <typeparamref name="T"/> must have the dtype's element size.</summary>
    public ReadOnlySpan<T> GetSpan<T>(string name) where T : unmanaged => OpenFileFor(name).GetSpan<T>(name);

    /// <summary>Pointer + length over a tensor of any size.</summary>
    public TensorView GetView(string name) => OpenFileFor(name).GetView(name);

    /// <summary>Every tensor of the weight map, shard by shard, in data-offset order.</summary>
    public IEnumerable<TensorInfo> AllTensors() => ReadAllHeaders().Values;

    /// <summary>
    /// Reads the headers of all shards (plain reads of 8 + N bytes, no mapping, no tensor data) and checks that every
    /// mapped tensor is present in its shard. Tensors a shard holds but the map assigns elsewhere are ignored.
    /// </summary>
    public IReadOnlyDictionary<string, TensorInfo> ReadAllHeaders()
    {
        ThrowIfDisposed();
        // 163 headers of ~70 KB for the real model: read and validate them on all cores, assemble in shard order
        Parallel.ForEach(_shards, shard =>
        {
            try
            {
                shard.Header();
            }
            catch (CheckpointFormatException)
            {
                // not cached: the in-order pass below reads it again and throws, so the first bad shard is the one
                // reported, as itself rather than inside an AggregateException
            }
        });
        // a Dictionary filled once, without removals, enumerates in insertion order: shard by shard, data-offset order
        var all = new Dictionary<string, TensorInfo>(_shardOf.Count, StringComparer.Ordinal);
        foreach (var shard in _shards)
        {
            var header = shard.Header();
            foreach (var name in shard.Tensors) shard.Info(header, name);   // every mapped tensor must be in its shard
            // the usual case: the shard holds exactly its mapped tensors (distinct names, all present, same count)
            var onlyMapped = header.Tensors.Count == shard.Tensors.Count;
            foreach (var (name, info) in header.Tensors)
                if (onlyMapped || (_shardOf.TryGetValue(name, out var owner) && ReferenceEquals(owner, shard))) all.Add(name, info);
        }
        return new ReadOnlyDictionary<string, TensorInfo>(all);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var shard in _shards) shard.Close();
    }

    private static SafetensorsCheckpoint Create(string folder, CheckpointIndex? index, string manifest,
        (string Tensor, string ShardPath)[] map, SafetensorsHeader? knownHeader)
    {
        var tensorsByShard = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (tensor, shardPath) in map)
        {
            if (!tensorsByShard.TryGetValue(shardPath, out var list)) tensorsByShard.Add(shardPath, list = []);
            list.Add(tensor);
        }

        // distinct names: the index and a safetensors header both reject duplicates
        var shardOf = new Dictionary<string, CheckpointShard>(map.Length, StringComparer.Ordinal);
        var names = new TensorNames(shardOf);   // header reads reuse the index's name strings; filled below, before any read
        var shards = tensorsByShard.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new CheckpointShard(p.Key, manifest, p.Value, names)).ToArray();
        foreach (var shard in shards)
        {
            shard.ThrowIfMissing();
            if (knownHeader is not null) shard.SetHeader(knownHeader);
            foreach (var tensor in shard.Tensors) shardOf.Add(tensor, shard);
        }
        return new SafetensorsCheckpoint(folder, index, manifest, map, shardOf, shards);
    }

    private CheckpointShard ShardOf(string name)
    {
        ThrowIfDisposed();
        return _shardOf.TryGetValue(name, out var shard)
            ? shard
            : throw new CheckpointFormatException(_manifest, name, "tensor is not in this checkpoint");
    }

    private SafetensorsFile OpenFileFor(string name)
    {
        var shard = ShardOf(name);
        var file = shard.File();
        shard.Info(file.Header, name);  // index says this shard: make sure it really holds the tensor
        return file;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
