using System.Text;
using System.Text.Json;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// Helpers for the streaming fast paths (<see cref="SafetensorsHeaderStreaming"/>, <see cref="CheckpointIndexStreaming"/>).
/// A fast path accepts only the plain shape real checkpoints have: no escapes, no unknown fields, no duplicates. It
/// answers "not plain" (null) for everything else, and the strict DOM parser (<see cref="StrictJson"/>) then decides and
/// words any error, so accepted input and every message stay exactly what the DOM parser gives.
/// </summary>
internal static class PlainJson
{
    // Same limits as StrictJson; a plain header or index nests three levels at most.
    public static readonly JsonReaderOptions Options = new() { MaxDepth = 16 };

    /// <summary>
    /// Next token must be a string or property name without escapes: with the input already checked as UTF-8, such a
    /// string is valid Unicode as is (escaped lone surrogates are the only way JSON text can hold invalid Unicode).
    /// </summary>
    public static bool TryReadPlain(ref Utf8JsonReader reader, JsonTokenType type, out ReadOnlySpan<byte> utf8)
    {
        if (!reader.Read() || reader.TokenType != type || reader.ValueIsEscaped)
        {
            utf8 = default;
            return false;
        }
        utf8 = reader.ValueSpan;
        return true;
    }

    /// <summary>Next token is a non-negative integer that fits a long (same test as JsonElement.TryGetInt64).</summary>
    public static bool TryReadCount(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value) && value >= 0;
    }

    public static bool IsNext(ref Utf8JsonReader reader, JsonTokenType type) => reader.Read() && reader.TokenType == type;

    /// <summary>The root value must be the whole text: a second value or trailing garbage makes the reader throw.</summary>
    public static bool AtEnd(ref Utf8JsonReader reader) => !reader.Read();

    public static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
