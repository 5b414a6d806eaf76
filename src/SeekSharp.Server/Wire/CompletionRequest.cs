namespace SeekSharp.Server.Wire;

/// <summary>A validated POST /v1/completions body.</summary>
public sealed record CompletionRequest
{
    public required string Model { get; init; }

    /// <summary>One entry per prompt: text (tokenized without adding BOS) or token ids as given.</summary>
    public required IReadOnlyList<CompletionPrompt> Prompts { get; init; }

    public bool Echo { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public required GenerationOptions Generation { get; init; }
}

/// <summary>A raw prompt: either text or token ids.</summary>
public sealed record CompletionPrompt(string? Text, IReadOnlyList<int>? TokenIds);
