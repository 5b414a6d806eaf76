using System.Text.Json;

namespace SeekSharp.IO.Chat.Mapping;

/// <summary>An encode request: the messages to render and the encoder's options.</summary>
public sealed record EncodeRequest(IReadOnlyList<Message> Messages, EncodeOptions Options);

/// <summary>A parse request: a completion and the mode its prompt was rendered in.</summary>
public sealed record ParseRequest(string Completion, ThinkingMode ThinkingMode);

/// <summary>
/// Reads the JSON objects of <c>encode_cases.jsonl</c> / <c>parse_cases.jsonl</c> (<c>messages</c>,
/// <c>completion</c>, <c>options</c>; other keys ignored) with the reference encoder's strictness: options mean
/// what the Python keyword arguments mean, and only <c>reasoning_content</c> is read.
/// </summary>
public static class PromptCaseJson
{
    public static EncodeRequest ReadEncodeRequest(string json)
    {
        using var document = OpenAiWireMapping.ParseDocument(json, "input");
        return ReadEncodeRequest(document.RootElement);
    }

    public static EncodeRequest ReadEncodeRequest(JsonElement root)
    {
        var fields = RootFields(root);
        if (!fields.TryGetValue("messages", out var messages))
            throw new ChatEncodingException("input.messages is missing");
        var options = fields.TryGetValue("options", out var given) ? given : default;
        return new EncodeRequest(
            OpenAiWireMapping.ReadMessages(messages, WireReadOptions.Reference),
            ReadEncodeOptions(options));
    }

    /// <summary>
    /// <c>thinking_mode</c> is required; <c>drop_thinking</c> and <c>add_default_bos_token</c> default to true
    /// (an explicit null is Python's None, which is false); <c>context</c> is a list of messages or null.
    /// </summary>
    public static EncodeOptions ReadEncodeOptions(JsonElement options)
    {
        if (options.ValueKind != JsonValueKind.Object)
            throw new ChatEncodingException("options must be an object with at least thinking_mode");
        var fields = RootFields(options);
        var mode = ReadThinkingMode(fields);
        var context = fields.TryGetValue("context", out var contextJson) && contextJson.ValueKind != JsonValueKind.Null
            ? OpenAiWireMapping.ReadMessages(contextJson, WireReadOptions.Reference, "options.context")
            : [];
        return new EncodeOptions
        {
            ThinkingMode = mode,
            DropThinking = ReadFlag(fields, "drop_thinking"),
            AddDefaultBosToken = ReadFlag(fields, "add_default_bos_token"),
            Context = context,
        };
    }

    public static ParseRequest ReadParseRequest(string json)
    {
        using var document = OpenAiWireMapping.ParseDocument(json, "input");
        var fields = RootFields(document.RootElement);
        if (!fields.TryGetValue("completion", out var completion) || completion.ValueKind != JsonValueKind.String)
            throw new ChatEncodingException("input.completion must be a string");
        if (!fields.TryGetValue("options", out var options) || options.ValueKind != JsonValueKind.Object)
            throw new ChatEncodingException("input.options must be an object with thinking_mode");
        return new ParseRequest(completion.GetString()!, ReadThinkingMode(RootFields(options)));
    }

    private static ThinkingMode ReadThinkingMode(Dictionary<string, JsonElement> options)
    {
        if (!options.TryGetValue("thinking_mode", out var value))
            throw new ChatEncodingException("options.thinking_mode is missing (\"chat\" or \"thinking\")");
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
        if (!ThinkingModeNames.TryParse(text, out var mode))
            throw new ChatEncodingException($"Invalid thinking_mode `{text}` (expected \"chat\" or \"thinking\")");
        return mode;
    }

    private static bool ReadFlag(Dictionary<string, JsonElement> options, string key)
    {
        if (!options.TryGetValue(key, out var value)) return true;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            _ => throw new ChatEncodingException($"options.{key} must be a boolean, got {OpenAiWireMapping.KindName(value)}"),
        };
    }

    private static Dictionary<string, JsonElement> RootFields(JsonElement obj)
    {
        if (obj.ValueKind != JsonValueKind.Object)
            throw new ChatEncodingException($"input must be a JSON object, got {OpenAiWireMapping.KindName(obj)}");
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, value) in PythonJson.ObjectMembers(obj)) fields[key] = value;
        return fields;
    }
}
