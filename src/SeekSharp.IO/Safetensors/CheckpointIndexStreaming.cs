using System.Text.Json;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// One streaming pass (no DOM) over a plain index: {"metadata": {...strings or integers}, "weight_map": {...}}, both
/// keys at most once, nothing else. Returns null for anything else, and <see cref="CheckpointIndex"/> then parses
/// with the DOM, which decides and words any error.
/// </summary>
internal static class CheckpointIndexStreaming
{
    public sealed record Result(OrderedDictionary<string, string> WeightMap, OrderedDictionary<string, string> Metadata, long? TotalSize);

    /// <param name="json">Index text, already checked to be valid UTF-8.</param>
    public static Result? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            return Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Result? Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, PlainJson.Options);
        if (!PlainJson.IsNext(ref reader, JsonTokenType.StartObject)) return null;
        OrderedDictionary<string, string>? weightMap = null, metadata = null;
        long? totalSize = null;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return null;
            if (reader.ValueTextEquals("weight_map"u8))
            {
                // ~95 bytes per entry in the real index
                if (weightMap is not null || (weightMap = ParseWeightMap(ref reader, json.Length / 95 + 4)) is null) return null;
            }
            else if (reader.ValueTextEquals("metadata"u8))
            {
                if (metadata is not null || (metadata = ParseMetadata(ref reader, out totalSize)) is null) return null;
            }
            else
            {
                return null;
            }
        }
        if (weightMap is null || !PlainJson.AtEnd(ref reader)) return null;
        return new Result(weightMap, metadata ?? new OrderedDictionary<string, string>(StringComparer.Ordinal), totalSize);
    }

    private static OrderedDictionary<string, string>? ParseWeightMap(ref Utf8JsonReader reader, int capacity)
    {
        if (!PlainJson.IsNext(ref reader, JsonTokenType.StartObject)) return null;
        var weightMap = new OrderedDictionary<string, string>(capacity, StringComparer.Ordinal);
        // ~91k entries name ~163 shards, mostly in runs: reuse the previous shard's string while the bytes match
        var shards = new List<(byte[] Utf8, string Name)>();
        var last = -1;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) return weightMap;
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return null;
            var tensor = reader.GetString()!;
            if (!PlainJson.TryReadPlain(ref reader, JsonTokenType.String, out var shard)) return null;
            if (last < 0 || !shard.SequenceEqual(shards[last].Utf8))
            {
                last = Find(shards, shard);
                if (last < 0)
                {
                    var name = PlainJson.Text(shard);
                    if (!CheckpointIndex.IsPlainFileName(name)) return null;
                    shards.Add((shard.ToArray(), name));
                    last = shards.Count - 1;
                }
            }
            if (!weightMap.TryAdd(tensor, shards[last].Name)) return null;
        }
    }

    private static int Find(List<(byte[] Utf8, string Name)> shards, ReadOnlySpan<byte> shard)
    {
        for (var i = 0; i < shards.Count; i++)
            if (shard.SequenceEqual(shards[i].Utf8)) return i;
        return -1;
    }

    /// <summary>String values verbatim, integers as their JSON text; total_size must be a non-negative long.</summary>
    private static OrderedDictionary<string, string>? ParseMetadata(ref Utf8JsonReader reader, out long? totalSize)
    {
        totalSize = null;
        if (!PlainJson.IsNext(ref reader, JsonTokenType.StartObject)) return null;
        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) return metadata;
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return null;
            var key = reader.GetString()!;
            if (!reader.Read()) return null;
            string value;
            if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped) value = PlainJson.Text(reader.ValueSpan);
            else if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out _)) value = PlainJson.Text(reader.ValueSpan);
            else return null;
            if (key == "total_size")
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var size) || size < 0) return null;
                totalSize = size;
            }
            if (!metadata.TryAdd(key, value)) return null;
        }
    }
}
