using System.Text.Json;
using Microsoft.Extensions.AI;
using Meai = Microsoft.Extensions.AI;

namespace SeekSharp.IO.Chat.Mapping;

/// <summary>
/// Maps messages to and from Microsoft.Extensions.AI: reasoning is a <see cref="TextReasoningContent"/>, content a
/// <see cref="TextContent"/>, tool calls <see cref="FunctionCallContent"/>s, a tool result a
/// <see cref="FunctionResultContent"/>; the developer role is <c>new ChatRole("developer")</c>. Tools and
/// response_format of system/developer messages travel in <see cref="Meai.ChatMessage.AdditionalProperties"/>.
/// Message → ChatMessage → message gives back an equal message.
/// </summary>
public static class MeaiMapping
{
    /// <summary>Key of the tools (a JSON array of OpenAI <c>function</c> objects) in AdditionalProperties.</summary>
    public const string ToolsProperty = "tools";

    /// <summary>Key of the response_format JSON in AdditionalProperties.</summary>
    public const string ResponseFormatProperty = "response_format";

    /// <summary>
    /// Key of a call's original arguments text in FunctionCallContent.AdditionalProperties: used on the way back
    /// while the Arguments dictionary still holds the same values, so the text round-trips byte for byte.
    /// </summary>
    public const string ArgumentsJsonProperty = "arguments_json";

    public static Meai.ChatRole DeveloperRole { get; } = new("developer");

    public static IReadOnlyList<Meai.ChatMessage> ToChatMessages(IEnumerable<Message> messages) =>
        [.. messages.Select(ToChatMessage)];

    public static Meai.ChatMessage ToChatMessage(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var contents = new List<AIContent>();
        if (message.Role == ChatRole.Tool)
        {
            contents.Add(new FunctionResultContent(message.ToolCallId ?? "", message.Content));
        }
        else
        {
            if (message.Reasoning is not null) contents.Add(new TextReasoningContent(message.Reasoning));
            if (message.Content is not null) contents.Add(new TextContent(message.Content));
            foreach (var call in message.ToolCalls) contents.Add(ToFunctionCall(call));
        }

        var chatMessage = new Meai.ChatMessage(ToMeaiRole(message.Role), contents);
        if (message.Tools.Count > 0 || message.ResponseFormat is not null)
        {
            chatMessage.AdditionalProperties = [];
            if (message.Tools.Count > 0)
                chatMessage.AdditionalProperties[ToolsProperty] = ToolsArray(message.Tools);
            if (message.ResponseFormat is { } format)
                chatMessage.AdditionalProperties[ResponseFormatProperty] = format;
        }
        return chatMessage;
    }

    public static IReadOnlyList<Message> FromChatMessages(IEnumerable<Meai.ChatMessage> messages) =>
        [.. messages.SelectMany(FromChatMessage)];

    /// <summary>
    /// One M.E.AI message can hold several function results: each becomes its own tool message (the prompt format
    /// has one per result, in call order). Texts of the same kind are concatenated.
    /// </summary>
    public static IReadOnlyList<Message> FromChatMessage(Meai.ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var role = FromMeaiRole(message.Role);
        string? content = null, reasoning = null;
        var calls = new List<ToolCall>();
        var results = new List<Message>();
        foreach (var item in message.Contents)
        {
            switch (item)
            {
                case TextReasoningContent thought:
                    reasoning = (reasoning ?? "") + thought.Text;
                    break;
                case TextContent text:
                    content = (content ?? "") + text.Text;
                    break;
                case FunctionCallContent call:
                    calls.Add(FromFunctionCall(call));
                    break;
                case FunctionResultContent result:
                    results.Add(Message.ToolResult(ResultText(result.Result), string.IsNullOrEmpty(result.CallId) ? null : result.CallId));
                    break;
            }
        }

        var own = new Message
        {
            Role = role,
            Content = content,
            Reasoning = role == ChatRole.Assistant ? reasoning : null,
            ToolCalls = role == ChatRole.Assistant ? calls : [],
            Tools = role is ChatRole.System or ChatRole.Developer ? ReadTools(message) : [],
            ResponseFormat = role is ChatRole.System or ChatRole.Developer ? ReadResponseFormat(message) : null,
        };
        if (role == ChatRole.Tool && results.Count > 0 && content is null) return results;
        return results.Count == 0 ? [own] : [own, .. results];
    }

    /// <summary>
    /// Request-level tools (<c>ChatOptions.Tools</c>) as tool definitions to attach to the system message:
    /// <c>{"name", "description", "parameters"}</c> from each function declaration's JSON schema.
    /// </summary>
    public static IReadOnlyList<ToolDefinition> ToToolDefinitions(IEnumerable<AITool> tools) =>
        [.. tools.OfType<AIFunctionDeclaration>().Select(f => ToolDefinition.Create(f.Name, f.Description, f.JsonSchema))];

    /// <summary>
    /// <c>ChatOptions.ResponseFormat</c> in the OpenAI shape: <c>{"type": "json_object"}</c> or
    /// <c>{"type": "json_schema", "json_schema": {"name", "description", "schema"}}</c>; null for text.
    /// </summary>
    public static JsonElement? ToResponseFormat(ChatResponseFormat? format)
    {
        if (format is not ChatResponseFormatJson json) return null;
        if (json.Schema is not { } schema) return JsonDocument.Parse("{\"type\": \"json_object\"}").RootElement.Clone();
        var text = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": " + PythonJson.QuoteString(json.SchemaName ?? "response")
            + (json.SchemaDescription is null ? "" : ", \"description\": " + PythonJson.QuoteString(json.SchemaDescription))
            + ", \"schema\": " + schema.GetRawText() + "}}";
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Meai.ChatRole ToMeaiRole(ChatRole role) => role switch
    {
        ChatRole.System => Meai.ChatRole.System,
        ChatRole.Developer => DeveloperRole,
        ChatRole.User => Meai.ChatRole.User,
        ChatRole.Assistant => Meai.ChatRole.Assistant,
        ChatRole.Tool => Meai.ChatRole.Tool,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    public static ChatRole FromMeaiRole(Meai.ChatRole role)
    {
        if (role == Meai.ChatRole.System) return ChatRole.System;
        if (role == Meai.ChatRole.User) return ChatRole.User;
        if (role == Meai.ChatRole.Assistant) return ChatRole.Assistant;
        if (role == Meai.ChatRole.Tool) return ChatRole.Tool;
        if (role == DeveloperRole) return ChatRole.Developer;
        throw new ChatEncodingException($"role `{role.Value}` has no DeepSeek-V3.2 equivalent");
    }

    private static FunctionCallContent ToFunctionCall(ToolCall call)
    {
        var content = new FunctionCallContent(call.Id ?? "", call.Name, FunctionArgumentsJson.TryParse(call.ArgumentsJson))
        {
            AdditionalProperties = new() { [ArgumentsJsonProperty] = call.ArgumentsJson },
        };
        return content;
    }

    private static ToolCall FromFunctionCall(FunctionCallContent call)
    {
        var id = string.IsNullOrEmpty(call.CallId) ? null : call.CallId;
        if (call.AdditionalProperties?.TryGetValue(ArgumentsJsonProperty, out var raw) == true && raw is string original)
        {
            var parsed = FunctionArgumentsJson.TryParse(original);
            var unchanged = parsed is null ? call.Arguments is null : FunctionArgumentsJson.SameArguments(parsed, call.Arguments);
            if (unchanged) return new ToolCall(call.Name, original, id);
        }
        return new ToolCall(call.Name, FunctionArgumentsJson.Format(call.Arguments), id);
    }

    private static string? ResultText(object? result) => result switch
    {
        null => null,
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
        JsonElement element => element.GetRawText(),
        _ => JsonSerializer.Serialize(result, result.GetType()),
    };

    private static JsonElement ToolsArray(IReadOnlyList<ToolDefinition> tools) =>
        JsonDocument.Parse("[" + string.Join(", ", tools.Select(t => t.Function.GetRawText())) + "]").RootElement.Clone();

    private static IReadOnlyList<ToolDefinition> ReadTools(Meai.ChatMessage message)
    {
        if (message.AdditionalProperties?.TryGetValue(ToolsProperty, out var value) != true || value is null) return [];
        return value switch
        {
            JsonElement { ValueKind: JsonValueKind.Array } array => [.. array.EnumerateArray().Select(t => new ToolDefinition(t))],
            IEnumerable<ToolDefinition> definitions => [.. definitions],
            IEnumerable<AITool> aiTools => ToToolDefinitions(aiTools),
            _ => throw new ChatEncodingException($"AdditionalProperties[\"{ToolsProperty}\"] must be a JSON array of function objects"),
        };
    }

    private static JsonElement? ReadResponseFormat(Meai.ChatMessage message)
    {
        if (message.AdditionalProperties?.TryGetValue(ResponseFormatProperty, out var value) != true || value is null) return null;
        return value switch
        {
            JsonElement element => element,
            ChatResponseFormat format => ToResponseFormat(format),
            _ => JsonSerializer.SerializeToElement(value, value.GetType()),
        };
    }
}
