using System.Text.Json;
using System.Text.Unicode;

namespace SeekSharp.IO.Safetensors;

/// <summary>
/// Parses untrusted checkpoint JSON (safetensors headers, index files): valid UTF-8, no comments or trailing commas,
/// no duplicate keys, bounded nesting, and every string readable as a .NET string. Any violation becomes a
/// <see cref="CheckpointFormatException"/> naming the file.
/// </summary>
internal static class StrictJson
{
    // A valid header nests three levels (root → entry → shape); the slack tolerates unknown extra fields.
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <param name="what">What the text is, for messages: "header", "index".</param>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, string file, string what)
    {
        // System.Text.Json accepts invalid UTF-8 inside strings and only fails when a string is read.
        if (!Utf8.IsValid(utf8.Span))
            throw new CheckpointFormatException(file, null, $"{what} is not valid UTF-8");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, s_options);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(file, null, $"{what} is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // The duplicate-key check unescapes names and throws this for an escaped lone surrogate ("\udc00").
            throw Unreadable(file, what, e);
        }

        try
        {
            ReadAllStrings(document.RootElement);
            return document;
        }
        catch (InvalidOperationException e)
        {
            document.Dispose();
            throw Unreadable(file, what, e);
        }
    }

    private static CheckpointFormatException Unreadable(string file, string what, InvalidOperationException e) =>
        new(file, null, $"{what} holds a JSON string that is not valid Unicode: {e.Message}", e);

    // Escaped lone surrogates ("\ud800") parse fine but throw when read; reading everything once here makes later
    // reads safe. Recursion depth is bounded by MaxDepth.
    private static void ReadAllStrings(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                element.GetString();
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) ReadAllStrings(item);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    ReadAllStrings(property.Value);
                }
                break;
        }
    }
}
