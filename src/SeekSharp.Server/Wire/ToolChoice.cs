namespace SeekSharp.Server.Wire;

public enum ToolChoiceKind
{
    Auto,
    None,
    Required,
    Function,
}

/// <summary>OpenAI's <c>tool_choice</c>: "auto", "none", "required" or <c>{"type": "function", "function": {"name"}}</c>.</summary>
public sealed record ToolChoice(ToolChoiceKind Kind, string? FunctionName = null)
{
    public static ToolChoice Auto { get; } = new(ToolChoiceKind.Auto);

    public static ToolChoice None { get; } = new(ToolChoiceKind.None);
}
