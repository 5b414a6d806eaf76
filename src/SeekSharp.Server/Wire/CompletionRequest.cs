namespace SeekSharp.Server.Wire;

/// <summary>A validated POST /v1/completions body.</summary>
public sealed record CompletionRequest
{
    public required string Model { get; init; }

    /// <summary>One entry per prompt: text (tokenized without adding BOS) or token ids as given.</summary>
    public required IReadOnlyList<CompletionPrompt> Prompts { get; init; }

    public bool Echo { get; init; }

    /// <summary>
    /// Alternatives per prompt token when the prompt is scored: echo with logprobs (OpenAI's legacy shape, the prompt
    /// tokens lead the logprobs) or vLLM's <c>prompt_logprobs</c> (<see cref="PromptLogprobsField"/>); null = not scored.
    /// </summary>
    public int? PromptLogprobs { get; init; }

    /// <summary>vLLM's <c>prompt_logprobs</c> was sent: the choice carries a <c>prompt_logprobs</c> list.</summary>
    public bool PromptLogprobsField { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public required GenerationOptions Generation { get; init; }
}

/// <summary>A raw prompt: either text or token ids.</summary>
public sealed record CompletionPrompt(string? Text, IReadOnlyList<int>? TokenIds);
