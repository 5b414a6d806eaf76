namespace SeekSharp.Engine;

/// <summary>One generation request at token level.</summary>
public sealed record EngineRequest
{
    /// <summary>Prompt token ids (non-empty, each below the vocabulary size).</summary>
    public required IReadOnlyList<int> PromptTokens { get; init; }

    /// <summary>Most tokens to generate (≥ 1); prompt + this must fit <see cref="EngineModelInfo.MaxContextTokens"/>.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>0 = greedy (argmax, lowest id on ties).</summary>
    public float Temperature { get; init; }

    public float TopP { get; init; } = 1f;

    /// <summary>0 = off.</summary>
    public int TopK { get; init; }

    /// <summary>Fixes the sampling stream of this request (same seed, same prompt → same tokens).</summary>
    public int? Seed { get; init; }

    /// <summary>Extra tokens that end generation (the stop token itself is reported, with <see cref="FinishReason.Stop"/>).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    public bool IgnoreEos { get; init; }

    /// <summary>Report the sampled token's log-probability (under the unmodified distribution, as OpenAI does).</summary>
    public bool Logprobs { get; init; }

    /// <summary>Also report this many most likely alternatives (0..20).</summary>
    public int TopLogprobs { get; init; }

    /// <summary>Caller's id for logs and metrics; the engine makes one when null.</summary>
    public string? RequestId { get; init; }
}
