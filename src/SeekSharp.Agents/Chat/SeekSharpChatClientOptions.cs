using SeekSharp.IO.Chat;

namespace SeekSharp.Agents.Chat;

/// <summary>Defaults of a <see cref="SeekSharpChatClient"/> for what a request's ChatOptions leave open.</summary>
public sealed record SeekSharpChatClientOptions
{
    /// <summary>The model id reported in responses and metadata (e.g. the checkpoint folder name).</summary>
    public string ModelId { get; init; } = "deepseek-v3.2";

    /// <summary>Thinking (reasoning first, then the answer) or plain chat, when the request does not say.</summary>
    public ThinkingMode DefaultThinkingMode { get; init; } = ThinkingMode.Thinking;

    /// <summary>Most tokens to generate when ChatOptions.MaxOutputTokens is not set (also capped by the context left).</summary>
    public int DefaultMaxOutputTokens { get; init; } = 1024;
}
