using System.Text.Json;
using System.Text.Unicode;
using SeekSharp.Core;

namespace SeekSharp.IO.Safetensors;

/// <summary>One header entry after type checks, before the buffer-coverage check. Begin/End are relative to the data buffer.</summary>
internal readonly record struct HeaderEntry(string Name, DType DType, long[] Shape, long Begin, long End);

/// <summary>Turns the JSON header text into typed entries, rejecting anything the safetensors format does not allow.</summary>
internal static class SafetensorsHeaderJson
{
    public const string MetadataKey = "__metadata__";

    public sealed record Result(List<HeaderEntry> Entries, OrderedDictionary<string, string> Metadata);

    /// <param name="names">Strings to reuse for tensor names (a checkpoint's), or null.</param>
    public static Result Parse(string file, ReadOnlyMemory<byte> json, long dataLength, TensorNames? names = null)
    {
        // Real headers are plain: one streaming pass reads them. Anything else, errors included, takes the DOM path below,
        // which decides what is accepted and words every message.
        if (Utf8.IsValid(json.Span) && SafetensorsHeaderStreaming.TryParse(json.Span, dataLength, names) is { } plain) return plain;
        return ParseDocument(file, json, dataLength);
    }

    /// <summary>The strict DOM parser: the reference for what is accepted, and the source of every error message.</summary>
    internal static Result ParseDocument(string file, ReadOnlyMemory<byte> json, long dataLength)
    {
        using var document = StrictJson.Parse(json, file, "header");
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(file, null, $"header is a JSON {Kind(root)}, expected an object");

        var entries = new List<HeaderEntry>();
        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == MetadataKey) metadata = ParseMetadata(file, property.Value);
            else entries.Add(ParseEntry(file, property.Name, property.Value, dataLength));
        }
        return new Result(entries, metadata);
    }

    private static OrderedDictionary<string, string> ParseMetadata(string file, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(file, MetadataKey, $"is a JSON {Kind(value)}, expected an object of strings");
        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointFormatException(file, MetadataKey,
                    $"value of '{item.Name}' is a JSON {Kind(item.Value)}, expected a string");
            metadata.Add(item.Name, item.Value.GetString()!);
        }
        return metadata;
    }

    private static HeaderEntry ParseEntry(string file, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(file, name, $"entry is a JSON {Kind(value)}, expected an object");

        var dtypeElement = Required(file, name, value, "dtype", JsonValueKind.String);
        var dtype = SafetensorsDTypeNames.Parse(dtypeElement.GetString()!, file, name);

        var shapeElement = Required(file, name, value, "shape", JsonValueKind.Array);
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dim in shapeElement.EnumerateArray()) shape[i++] = NonNegativeInteger(file, name, "shape", dim);

        var offsets = Required(file, name, value, "data_offsets", JsonValueKind.Array);
        if (offsets.GetArrayLength() != 2)
            throw new CheckpointFormatException(file, name,
                $"data_offsets has {offsets.GetArrayLength()} elements, expected [begin, end]");
        var begin = NonNegativeInteger(file, name, "data_offsets", offsets[0]);
        var end = NonNegativeInteger(file, name, "data_offsets", offsets[1]);
        if (begin > end)
            throw new CheckpointFormatException(file, name, $"data_offsets [{begin}, {end}] has begin > end");
        if (end > dataLength)
            throw new CheckpointFormatException(file, name,
                $"data_offsets end {end} is past the end of the data buffer ({dataLength} bytes)");

        var expected = ExpectedByteLength(file, name, dtype, shape);
        if (end - begin != expected)
            throw new CheckpointFormatException(file, name,
                $"data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype.SafetensorsName()} needs {expected}");

        return new HeaderEntry(name, dtype, shape, begin, end);
    }

    private static long ExpectedByteLength(string file, string name, DType dtype, long[] shape)
    {
        try
        {
            long bytes = dtype.SizeOf();
            foreach (var d in shape) bytes = checked(bytes * d);
            return bytes;
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException(file, name,
                $"shape [{string.Join(", ", shape)}] of {dtype.SafetensorsName()} overflows a 64-bit byte count");
        }
    }

    private static JsonElement Required(string file, string name, JsonElement entry, string key, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(key, out var element))
            throw new CheckpointFormatException(file, name, $"entry has no '{key}'");
        if (element.ValueKind != kind)
            throw new CheckpointFormatException(file, name,
                $"'{key}' is a JSON {Kind(element)}, expected {kind.ToString().ToLowerInvariant()}");
        return element;
    }

    private static long NonNegativeInteger(string file, string name, string key, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value) && value >= 0) return value;
        throw new CheckpointFormatException(file, name,
            $"'{key}' holds {SafetensorsDTypeNames.Printable(element.GetRawText())}, expected a non-negative 64-bit integer");
    }

    private static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();
}
