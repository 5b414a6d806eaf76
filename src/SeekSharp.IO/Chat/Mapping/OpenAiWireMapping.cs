using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SeekSharp.IO.Chat.Mapping;

/// <summary>
/// Messages to and from the OpenAI chat wire format: <c>role</c>, <c>content</c>, <c>reasoning_content</c>
/// (or <c>reasoning</c>), <c>tool_calls</c> <c>[{id, type: "function", function: {name, arguments}}]</c> with
/// <c>arguments</c> a JSON string, <c>tool_call_id</c>, and on system/developer messages <c>tools</c> and
/// <c>response_format</c>. Other keys are ignored on input, as the reference encoder ignores them.
/// </summary>
public static class OpenAiWireMapping
{
    /// <summary>Reads a JSON array of messages; problems name the message index and the field.</summary>
    public static IReadOnlyList<Message> ReadMessages(JsonElement messages, WireReadOptions? options = null, string path = "messages")
    {
        if (messages.ValueKind != JsonValueKind.Array)
            throw new ChatEncodingException($"{path} must be an array of messages, got {KindName(messages)}");
        var result = new List<Message>();
        var index = 0;
        foreach (var item in messages.EnumerateArray())
            result.Add(ReadMessage(item, $"{path}[{index++}]", options));
        return result;
    }

    public static IReadOnlyList<Message> ReadMessages(string json, WireReadOptions? options = null)
    {
        using var document = ParseDocument(json, "messages");
        return ReadMessages(document.RootElement, options);
    }

    /// <summary>Reads one message object; <paramref name="path"/> prefixes error messages (e.g. "messages[3]").</summary>
    public static Message ReadMessage(JsonElement message, string path = "message", WireReadOptions? options = null)
    {
        options ??= WireReadOptions.Default;
        if (message.ValueKind != JsonValueKind.Object)
            throw new ChatEncodingException($"{path} must be an object, got {KindName(message)}");
        var fields = Fields(message);

        var roleName = OptionalString(fields, "role", path)
            ?? throw new ChatEncodingException($"{path}.role is missing");
        if (!ChatRoleNames.TryParse(roleName, out var role))
            throw new ChatEncodingException($"{path}.role: unknown role `{roleName}` (expected system, developer, user, assistant or tool)");

        var content = OptionalString(fields, "content", path);
        return role switch
        {
            ChatRole.System or ChatRole.Developer => new Message
            {
                Role = role,
                Content = content,
                Tools = ReadTools(fields, path),
                ResponseFormat = fields.TryGetValue("response_format", out var format) && format.ValueKind != JsonValueKind.Null ? format : null,
            },
            ChatRole.Assistant => new Message
            {
                Role = role,
                Content = content,
                Reasoning = ReadReasoning(fields, path, options),
                ToolCalls = ReadToolCalls(fields, path),
            },
            ChatRole.Tool => new Message { Role = role, Content = content, ToolCallId = OptionalString(fields, "tool_call_id", path) },
            _ => new Message { Role = role, Content = content },
        };
    }

    /// <summary>Writes messages as a JSON array (compact, non-ASCII kept raw).</summary>
    public static string WriteMessages(IEnumerable<Message> messages)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var message in messages) WriteMessage(writer, message);
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string WriteMessage(Message message)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
            WriteMessage(writer, message);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// Writes one message. Reasoning goes out under both <c>reasoning_content</c> (DeepSeek) and
    /// <c>reasoning</c> (vLLM/OpenRouter); JSON kept from the input (tools, response_format) is written verbatim.
    /// </summary>
    public static void WriteMessage(Utf8JsonWriter writer, Message message)
    {
        writer.WriteStartObject();
        writer.WriteString("role", message.Role.ToWireName());
        writer.WriteString("content", message.Content);
        if (message.Reasoning is not null)
        {
            writer.WriteString("reasoning_content", message.Reasoning);
            writer.WriteString("reasoning", message.Reasoning);
        }
        if (message.ToolCalls.Count > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in message.ToolCalls) WriteToolCall(writer, call);
            writer.WriteEndArray();
        }
        if (message.ToolCallId is not null) writer.WriteString("tool_call_id", message.ToolCallId);
        if (message.Tools.Count > 0)
        {
            writer.WriteStartArray("tools");
            foreach (var tool in message.Tools)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "function");
                writer.WritePropertyName("function");
                writer.WriteRawValue(tool.Function.GetRawText(), skipInputValidation: true);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        if (message.ResponseFormat is { } format)
        {
            writer.WritePropertyName("response_format");
            writer.WriteRawValue(format.GetRawText(), skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    /// <summary>
    /// <c>{"index"?, "id"?, "type": "function", "function": {"name", "arguments"}}</c>: streaming deltas carry the index;
    /// the id is left out when the call has none.
    /// </summary>
    public static void WriteToolCall(Utf8JsonWriter writer, ToolCall call, int? index = null)
    {
        writer.WriteStartObject();
        if (index is { } i) writer.WriteNumber("index", i);
        if (call.Id is not null) writer.WriteString("id", call.Id);
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", call.Name);
        writer.WriteString("arguments", call.ArgumentsJson);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    internal static JsonDocument ParseDocument(string json, string what)
    {
        try
        {
            return JsonDocument.Parse(json, PythonJson.ParseOptions);
        }
        catch (JsonException e)
        {
            throw new ChatEncodingException($"{what}: invalid JSON ({e.Message})", e);
        }
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string? ReadReasoning(Dictionary<string, JsonElement> fields, string path, WireReadOptions options)
    {
        var reasoning = OptionalString(fields, "reasoning_content", path);
        if (reasoning is null && options.AcceptReasoningAlias) reasoning = OptionalString(fields, "reasoning", path);
        return reasoning;
    }

    private static IReadOnlyList<ToolDefinition> ReadTools(Dictionary<string, JsonElement> fields, string path)
    {
        if (!fields.TryGetValue("tools", out var tools) || tools.ValueKind == JsonValueKind.Null) return [];
        if (tools.ValueKind != JsonValueKind.Array)
            throw new ChatEncodingException($"{path}.tools must be an array, got {KindName(tools)}");
        var result = new List<ToolDefinition>();
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var toolPath = $"{path}.tools[{index++}]";
            if (tool.ValueKind != JsonValueKind.Object)
                throw new ChatEncodingException($"{toolPath} must be an object, got {KindName(tool)}");
            var toolFields = Fields(tool);
            if (!toolFields.TryGetValue("function", out var function))
                throw new ChatEncodingException($"{toolPath}.function is missing");
            if (function.ValueKind != JsonValueKind.Object)
                throw new ChatEncodingException($"{toolPath}.function must be an object, got {KindName(function)}");
            result.Add(new ToolDefinition(function));
        }
        return result;
    }

    private static IReadOnlyList<ToolCall> ReadToolCalls(Dictionary<string, JsonElement> fields, string path)
    {
        if (!fields.TryGetValue("tool_calls", out var calls) || calls.ValueKind == JsonValueKind.Null) return [];
        if (calls.ValueKind != JsonValueKind.Array)
            throw new ChatEncodingException($"{path}.tool_calls must be an array, got {KindName(calls)}");
        var result = new List<ToolCall>();
        var index = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var callPath = $"{path}.tool_calls[{index++}]";
            if (call.ValueKind != JsonValueKind.Object)
                throw new ChatEncodingException($"{callPath} must be an object, got {KindName(call)}");
            var callFields = Fields(call);
            if (!callFields.TryGetValue("function", out var function))
                throw new ChatEncodingException($"{callPath}.function is missing");
            if (function.ValueKind != JsonValueKind.Object)
                throw new ChatEncodingException($"{callPath}.function must be an object, got {KindName(function)}");
            var functionFields = Fields(function);
            var name = OptionalString(functionFields, "name", $"{callPath}.function")
                ?? throw new ChatEncodingException($"{callPath}.function.name is missing");
            var arguments = OptionalString(functionFields, "arguments", $"{callPath}.function")
                ?? throw new ChatEncodingException($"{callPath}.function.arguments is missing (a JSON string is expected)");
            result.Add(new ToolCall(name, arguments, OptionalString(callFields, "id", callPath)));
        }
        return result;
    }

    private static string? OptionalString(Dictionary<string, JsonElement> fields, string key, string path)
    {
        if (!fields.TryGetValue(key, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new ChatEncodingException($"{path}.{key} must be a string or null, got {KindName(value)}");
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException e)
        {
            throw new ChatEncodingException($"{path}.{key}: {e.Message}", e);
        }
    }

    /// <summary>Object members with Python dict semantics (a repeated key keeps its last value).</summary>
    private static Dictionary<string, JsonElement> Fields(JsonElement obj)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, value) in PythonJson.ObjectMembers(obj)) fields[key] = value;
        return fields;
    }

    internal static string KindName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };
}

/// <summary>How lenient <see cref="OpenAiWireMapping"/> is when reading messages.</summary>
public sealed record WireReadOptions
{
    /// <summary>
    /// Accept <c>reasoning</c> as an alias of <c>reasoning_content</c> (vLLM and OpenRouter spell it so).
    /// DeepSeek's reference encoder reads only <c>reasoning_content</c>; turn this off to match it exactly.
    /// </summary>
    public bool AcceptReasoningAlias { get; init; } = true;

    public static WireReadOptions Default { get; } = new();

    /// <summary>Exactly the keys the reference encoder reads.</summary>
    public static WireReadOptions Reference { get; } = new() { AcceptReasoningAlias = false };
}
