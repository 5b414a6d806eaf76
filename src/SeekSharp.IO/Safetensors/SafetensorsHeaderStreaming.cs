using System.Text;
using System.Text.Json;
using SeekSharp.Core;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// One streaming pass (no DOM) over a plain safetensors header: the ~91k entries of a real checkpoint's 163 headers cost
/// a JsonDocument each plus every string twice otherwise. Returns null for anything not plain or not valid, and
/// <see cref="SafetensorsHeaderJson"/> then parses with the DOM so the result or the error is exactly what it gives.
/// </summary>
internal static class SafetensorsHeaderStreaming
{
    private const int MaxPlainRank = 8;

    // dtype strings as they appear in headers, so no string is made per entry
    private static readonly (byte[] Utf8, DType Type)[] s_dtypes =
        Enum.GetValues<DType>().Select(t => (Encoding.UTF8.GetBytes(t.SafetensorsName()), t)).ToArray();

    /// <param name="json">Header text, already checked to be valid UTF-8.</param>
    /// <param name="names">Strings to reuse for tensor names, or null.</param>
    public static SafetensorsHeaderJson.Result? TryParse(ReadOnlySpan<byte> json, long dataLength, TensorNames? names)
    {
        try
        {
            return Parse(json, dataLength, names);
        }
        catch (JsonException)
        {
            return null;   // not JSON: the DOM parser words the error
        }
    }

    private static SafetensorsHeaderJson.Result? Parse(ReadOnlySpan<byte> json, long dataLength, TensorNames? names)
    {
        var reader = new Utf8JsonReader(json, PlainJson.Options);
        if (!PlainJson.IsNext(ref reader, JsonTokenType.StartObject)) return null;

        // ~100-130 bytes of header per tensor in real files: presize the list and the duplicate check
        var estimate = json.Length / 100 + 4;
        var entries = new List<HeaderEntry>(estimate);
        var seen = new HashSet<string>(estimate, StringComparer.Ordinal);
        OrderedDictionary<string, string>? metadata = null;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return null;
            if (reader.ValueTextEquals(SafetensorsHeaderJson.MetadataKey))
            {
                if (metadata is not null || (metadata = ParseMetadata(ref reader)) is null) return null;
                continue;
            }
            var name = names?.Get(reader.ValueSpan) ?? reader.GetString()!;
            if (!seen.Add(name) || ParseEntry(ref reader, name, dataLength) is not { } entry) return null;
            entries.Add(entry);
        }
        if (!PlainJson.AtEnd(ref reader)) return null;
        return new SafetensorsHeaderJson.Result(entries, metadata ?? new OrderedDictionary<string, string>(StringComparer.Ordinal));
    }

    private static OrderedDictionary<string, string>? ParseMetadata(ref Utf8JsonReader reader)
    {
        if (!PlainJson.IsNext(ref reader, JsonTokenType.StartObject)) return null;
        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) return metadata;
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return null;
            var key = reader.GetString()!;
            if (!PlainJson.TryReadPlain(ref reader, JsonTokenType.String, out var value)) return null;
            if (!metadata.TryAdd(key, PlainJson.Text(value))) return null;
        }
    }

    /// <summary>An entry with exactly dtype, shape and data_offsets, each once, that passes every check of the DOM path.</summary>
    private static HeaderEntry? ParseEntry(ref Utf8JsonReader reader, string name, long dataLength)
    {
        if (!PlainJson.IsNext(ref reader, JsonTokenType.StartObject)) return null;
        DType? dtype = null;
        long[]? shape = null;
        long begin = 0, end = 0;
        var haveOffsets = false;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return null;
            if (reader.ValueTextEquals("dtype"u8))
            {
                if (dtype is not null || !PlainJson.TryReadPlain(ref reader, JsonTokenType.String, out var text)) return null;
                if ((dtype = KnownDType(text)) is null) return null;
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                if (shape is not null || (shape = ParseShape(ref reader)) is null) return null;
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                if (haveOffsets || !PlainJson.IsNext(ref reader, JsonTokenType.StartArray)) return null;
                if (!PlainJson.TryReadCount(ref reader, out begin) || !PlainJson.TryReadCount(ref reader, out end)) return null;
                if (!PlainJson.IsNext(ref reader, JsonTokenType.EndArray)) return null;
                haveOffsets = true;
            }
            else
            {
                return null;   // unknown field: the DOM path accepts it after checking it for duplicates and Unicode
            }
        }
        if (dtype is not { } type || shape is null || !haveOffsets) return null;
        if (begin > end || end > dataLength || ByteLength(type, shape) != end - begin) return null;
        return new HeaderEntry(name, type, shape, begin, end);
    }

    private static long[]? ParseShape(ref Utf8JsonReader reader)
    {
        if (!PlainJson.IsNext(ref reader, JsonTokenType.StartArray)) return null;
        Span<long> dims = stackalloc long[MaxPlainRank];
        var rank = 0;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndArray) return dims[..rank].ToArray();
            if (rank == MaxPlainRank || reader.TokenType != JsonTokenType.Number) return null;
            if (!reader.TryGetInt64(out var d) || d < 0) return null;
            dims[rank++] = d;
        }
    }

    private static DType? KnownDType(ReadOnlySpan<byte> text)
    {
        foreach (var (utf8, type) in s_dtypes)
            if (text.SequenceEqual(utf8)) return type;
        return null;
    }

    /// <summary>Element size × dims, or -1 when it overflows (never equal to a span, which is ≥ 0).</summary>
    private static long ByteLength(DType type, long[] shape)
    {
        long bytes = type.SizeOf();
        foreach (var d in shape)
        {
            if (d != 0 && bytes > long.MaxValue / d) return -1;
            bytes *= d;
        }
        return bytes;
    }
}
