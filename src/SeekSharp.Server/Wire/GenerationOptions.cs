namespace SeekSharp.Server.Wire;

/// <summary>The sampling and stopping fields shared by chat and text completions, validated.</summary>
public sealed record GenerationOptions
{
    /// <summary>Null: as many as the context allows (chat) or the endpoint's default (completions).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>OpenAI's default is 1; 0 is greedy.</summary>
    public float Temperature { get; init; } = 1f;

    public float TopP { get; init; } = 1f;

    /// <summary>0 = off (a vLLM extension; OpenAI has no top_k).</summary>
    public int TopK { get; init; }

    public int? Seed { get; init; }

    /// <summary>Strings that end the generation; they are not part of the returned text.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Token ids that end the generation (a vLLM extension, <c>stop_token_ids</c>); the token is part of the output.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    public bool Logprobs { get; init; }

    /// <summary>Alternatives reported per token (0..20).</summary>
    public int TopLogprobs { get; init; }

    /// <summary>OpenAI's logit_bias: token id → bias added before sampling (-100..100).</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Keep generating past EOS (a vLLM extension, used by benchmarks to get exact output lengths).</summary>
    public bool IgnoreEos { get; init; }
}
