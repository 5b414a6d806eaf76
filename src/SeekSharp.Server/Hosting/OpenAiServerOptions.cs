using SeekSharp.IO.Chat;

namespace SeekSharp.Server.Hosting;

/// <summary>How the OpenAI-compatible endpoints present the model.</summary>
public sealed record OpenAiServerOptions
{
    /// <summary>The model id clients send and /v1/models lists (the engine's model name when null).</summary>
    public string? ServedModelName { get; init; }

    /// <summary>More ids accepted as this model (e.g. "deepseek-chat").</summary>
    public IReadOnlyList<string> ModelAliases { get; init; } = [];

    /// <summary>When set, /v1/* require <c>Authorization: Bearer KEY</c>; /health and /metrics stay open.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Thinking mode of requests that do not say (DeepSeek's deepseek-chat default: off).</summary>
    public ThinkingMode DefaultThinking { get; init; } = ThinkingMode.Chat;

    /// <summary>max_tokens of /v1/completions when the request gives none (OpenAI's default is 16).</summary>
    public int DefaultCompletionMaxTokens { get; init; } = 16;

    /// <summary>Largest request body accepted.</summary>
    public long MaxRequestBodyBytes { get; init; } = 32L << 20;
}
