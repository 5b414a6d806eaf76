using System.Text.Json;

namespace SeekSharp.IO.Chat;

/// <summary>
/// One immutable chat message in the shape the V3.2 encoder reads. Which fields matter depends on the role:
/// system/developer use <see cref="Content"/>, <see cref="Tools"/> and <see cref="ResponseFormat"/>;
/// user uses <see cref="Content"/>; assistant uses <see cref="Content"/>, <see cref="Reasoning"/> and
/// <see cref="ToolCalls"/>; tool uses <see cref="Content"/> and <see cref="ToolCallId"/>.
/// </summary>
public sealed record Message
{
    public required ChatRole Role { get; init; }

    /// <summary>Null is kept distinct from "": the reference renders a null user/tool content as the text "None".</summary>
    public string? Content { get; init; }

    /// <summary>The assistant's reasoning (<c>reasoning_content</c> on the wire).</summary>
    public string? Reasoning { get; init; }

    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    /// <summary>On tool messages: the id of the call answered. The encoder matches results by order, not by id.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>On system/developer messages: the tools block rendered into the prompt.</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>On system/developer messages: any JSON value; rendered when Python would call it truthy.</summary>
    public JsonElement? ResponseFormat
    {
        get => _responseFormat;
        init => _responseFormat = value?.Clone();
    }

    private readonly JsonElement? _responseFormat;

    public static Message System(string? content, IReadOnlyList<ToolDefinition>? tools = null, JsonElement? responseFormat = null) =>
        new() { Role = ChatRole.System, Content = content, Tools = tools ?? [], ResponseFormat = responseFormat };

    public static Message Developer(string content, IReadOnlyList<ToolDefinition>? tools = null, JsonElement? responseFormat = null) =>
        new() { Role = ChatRole.Developer, Content = content, Tools = tools ?? [], ResponseFormat = responseFormat };

    public static Message User(string? content) => new() { Role = ChatRole.User, Content = content };

    public static Message Assistant(string? content, string? reasoning = null, IReadOnlyList<ToolCall>? toolCalls = null) =>
        new() { Role = ChatRole.Assistant, Content = content, Reasoning = reasoning, ToolCalls = toolCalls ?? [] };

    public static Message ToolResult(string? content, string? toolCallId = null) =>
        new() { Role = ChatRole.Tool, Content = content, ToolCallId = toolCallId };

    /// <summary>Value equality over every field; JSON compares by its exact text.</summary>
    public bool Equals(Message? other) =>
        other is not null
        && Role == other.Role
        && Content == other.Content
        && Reasoning == other.Reasoning
        && ToolCallId == other.ToolCallId
        && ToolCalls.SequenceEqual(other.ToolCalls)
        && Tools.SequenceEqual(other.Tools)
        && ResponseFormat?.GetRawText() == other.ResponseFormat?.GetRawText();

    public override int GetHashCode() => HashCode.Combine(Role, Content, Reasoning, ToolCallId, ToolCalls.Count, Tools.Count);
}

/// <summary>
/// One function call of an assistant turn. <paramref name="ArgumentsJson"/> is the JSON text of the arguments
/// object, exactly as the OpenAI API carries it (a string, not a parsed object).
/// </summary>
public sealed record ToolCall(string Name, string ArgumentsJson, string? Id = null);
