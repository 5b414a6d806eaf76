namespace SeekSharp.IO.Chat;

/// <summary>
/// One function call of an assistant turn. <paramref name="ArgumentsJson"/> is the JSON text of the arguments
/// object, exactly as the OpenAI API carries it (a string, not a parsed object).
/// </summary>
public sealed record ToolCall(string Name, string ArgumentsJson, string? Id = null);
