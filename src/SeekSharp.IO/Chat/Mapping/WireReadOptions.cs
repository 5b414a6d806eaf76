namespace SeekSharp.IO.Chat.Mapping;

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
