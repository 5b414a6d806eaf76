using System.Text.Json;
using SeekSharp.IO.Chat;

namespace SeekSharp.Server.Wire;

/// <summary>A validated POST /v1/chat/completions body.</summary>
public sealed record ChatCompletionRequest
{
    public required string Model { get; init; }

    /// <summary>The messages as sent (tools not yet attached to a system message).</summary>
    public required IReadOnlyList<Message> Messages { get; init; }

    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    public ToolChoice ToolChoice { get; init; } = ToolChoice.Auto;

    public ThinkingMode Thinking { get; init; }

    /// <summary>response_format when it asks for JSON (json_object / json_schema); null for plain text.</summary>
    public JsonElement? ResponseFormat { get; init; }

    public bool Stream { get; init; }

    /// <summary>stream_options.include_usage: a last chunk with the usage and no choices.</summary>
    public bool IncludeUsage { get; init; }

    public required GenerationOptions Generation { get; init; }
}
