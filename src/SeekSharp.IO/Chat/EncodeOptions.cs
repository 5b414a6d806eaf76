namespace SeekSharp.IO.Chat;

/// <summary>The keyword arguments of the reference <c>encode_messages</c>.</summary>
public sealed record EncodeOptions
{
    public ThinkingMode ThinkingMode { get; init; } = ThinkingMode.Chat;

    /// <summary>
    /// Strip reasoning of assistant turns before the last user/developer message (thinking mode). It never changes
    /// the text, since such reasoning is not rendered anyway, but the reference then also drops earlier developer
    /// messages and fails: that input is rejected.
    /// </summary>
    public bool DropThinking { get; init; } = true;

    /// <summary>Start with BOS; only honoured when <see cref="Context"/> is empty.</summary>
    public bool AddDefaultBosToken { get; init; } = true;

    /// <summary>Earlier messages, already encoded: not rendered, but they count for the last-user index and tool grouping.</summary>
    public IReadOnlyList<Message> Context { get; init; } = [];

    public static EncodeOptions Chat { get; } = new();

    public static EncodeOptions Thinking { get; } = new() { ThinkingMode = ThinkingMode.Thinking };
}
