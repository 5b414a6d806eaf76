using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Unicode;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// The parsed <c>model.safetensors.index.json</c> of a sharded checkpoint:
/// <c>{"metadata": {"total_size": N}, "weight_map": {"tensor": "shard file name", ...}}</c>. Reading it opens no shard.
/// </summary>
public sealed class CheckpointIndex
{
    public const string FileName = "model.safetensors.index.json";

    // The real V3.2 index is ~10 MB (≈ 91k tensors); anything near this limit is not an index.
    private const long MaxIndexBytes = 256L * 1024 * 1024;

    private CheckpointIndex(
        string path, IReadOnlyDictionary<string, string> weightMap, IReadOnlyDictionary<string, string> metadata,
        long? totalSize, IReadOnlyList<string> shardFiles)
    {
        Path = path;
        WeightMap = weightMap;
        Metadata = metadata;
        TotalSize = totalSize;
        ShardFiles = shardFiles;
    }

    /// <summary>Full path of the index file.</summary>
    public string Path { get; }

    /// <summary>Tensor name → shard file name (relative to the index's folder), in file order.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The "metadata" object: string values verbatim, other values as raw JSON text (e.g. "4566432").</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>metadata.total_size (bytes of all tensor data), when present.</summary>
    public long? TotalSize { get; }

    /// <summary>Distinct shard file names, ordinal-sorted.</summary>
    public IReadOnlyList<string> ShardFiles { get; }

    /// <summary>Reads and validates an index file; throws <see cref="CheckpointFormatException"/> when malformed.</summary>
    public static CheckpointIndex Read(string indexPath)
    {
        var fullPath = System.IO.Path.GetFullPath(indexPath);
        var length = new FileInfo(fullPath).Length;
        if (length > MaxIndexBytes)
            throw new CheckpointFormatException(fullPath, null, $"index is {length} bytes, more than the {MaxIndexBytes}-byte limit");
        var bytes = File.ReadAllBytes(fullPath);
        // Real indexes are plain: one streaming pass reads them. Anything else, errors included, takes the DOM path,
        // which decides what is accepted and words every message.
        return TryParsePlain(fullPath, bytes) ?? ParseDocument(fullPath, bytes);
    }

    /// <summary>The streaming fast path: null when the text is not a plain, valid index.</summary>
    internal static CheckpointIndex? TryParsePlain(string fullPath, byte[] bytes) =>
        Utf8.IsValid(bytes) && CheckpointIndexStreaming.TryParse(bytes) is { } plain
            ? Create(fullPath, plain.WeightMap, plain.Metadata, plain.TotalSize)
            : null;

    /// <summary>The strict DOM parser: the reference for what is accepted, and the source of every error message.</summary>
    internal static CheckpointIndex ParseDocument(string fullPath, byte[] bytes)
    {
        using var document = StrictJson.Parse(bytes, fullPath, "index");
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(fullPath, null, "index is not a JSON object");
        if (!root.TryGetProperty("weight_map", out var weightMapElement))
            throw new CheckpointFormatException(fullPath, "weight_map", "index has no weight_map");
        var weightMap = ParseWeightMap(fullPath, weightMapElement);

        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        long? totalSize = null;
        if (root.TryGetProperty("metadata", out var metadataElement))
            totalSize = ParseMetadata(fullPath, metadataElement, metadata);

        return Create(fullPath, weightMap, metadata, totalSize);
    }

    private static CheckpointIndex Create(string fullPath, OrderedDictionary<string, string> weightMap,
        OrderedDictionary<string, string> metadata, long? totalSize)
    {
        var shards = weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new CheckpointIndex(fullPath, new ReadOnlyDictionary<string, string>(weightMap),
            new ReadOnlyDictionary<string, string>(metadata), totalSize, shards);
    }

    private static OrderedDictionary<string, string> ParseWeightMap(string file, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(file, "weight_map", "weight_map is not a JSON object");
        var weightMap = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        var shardNames = new Dictionary<string, string>(StringComparer.Ordinal);   // ~91k entries name ~163 shards: one string each
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointFormatException(file, entry.Name, "weight_map value is not a string (shard file name)");
            var shard = entry.Value.GetString()!;
            if (shardNames.TryGetValue(shard, out var known))
            {
                weightMap.Add(entry.Name, known);
                continue;
            }
            if (!IsPlainFileName(shard))
                throw new CheckpointFormatException(file, entry.Name,
                    $"shard '{SafetensorsDTypeNames.Printable(shard)}' is not a plain file name in the checkpoint folder");
            shardNames.Add(shard, shard);
            weightMap.Add(entry.Name, shard);
        }
        return weightMap;
    }

    private static long? ParseMetadata(string file, JsonElement element, OrderedDictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(file, "metadata", "metadata is not a JSON object");
        long? totalSize = null;
        foreach (var entry in element.EnumerateObject())
        {
            metadata.Add(entry.Name, entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText());
            if (entry.Name == "total_size") totalSize = ParseTotalSize(file, entry.Value);
        }
        return totalSize;
    }

    private static long ParseTotalSize(string file, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (value.TryGetInt64(out var exact) && exact >= 0) return exact;
            // Some exporters write the size as a float such as 1.5e10.
            if (value.TryGetDouble(out var real) && real >= 0 && real < (double)long.MaxValue && real == Math.Floor(real)) return (long)real;
        }
        throw new CheckpointFormatException(file, "total_size",
            $"total_size is {SafetensorsDTypeNames.Printable(value.GetRawText())}, expected a non-negative integer");
    }

    /// <summary>A shard reference must stay inside the checkpoint folder: no separators, no "." or "..".</summary>
    internal static bool IsPlainFileName(string name) =>
        name.Length > 0
        && name is not "." and not ".."
        && name.IndexOfAny(['/', '\\', '\0']) < 0
        && System.IO.Path.GetFileName(name) == name;
}
