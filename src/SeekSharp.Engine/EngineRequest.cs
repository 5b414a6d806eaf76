namespace SeekSharp.Engine;

/// <summary>One generation request at token level.</summary>
public sealed record EngineRequest
{
    /// <summary>Prompt token ids (non-empty, each below the vocabulary size).</summary>
    public required IReadOnlyList<int> PromptTokens { get; init; }

    /// <summary>
    /// Most tokens to generate (≥ 1, or 0 with <see cref="PromptLogprobs"/>: score the prompt only); prompt + this must
    /// fit <see cref="EngineModelInfo.MaxContextTokens"/>. Forced tokens count.
    /// </summary>
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

    /// <summary>
    /// Also score the prompt: each prompt token's log-probability given the tokens before it (the first has none), with
    /// this many alternatives (0..20), delivered on the request's first output (<see cref="EngineOutput.PromptLogprobs"/>).
    /// Such a request takes no prefix-cache hit: every prompt row is computed.
    /// </summary>
    public int? PromptLogprobs { get; init; }

    /// <summary>Tokens the reply must continue with at a given point (e.g. a tool-call opening once reasoning ends).</summary>
    public ForcedContinuation? Forced { get; init; }

    /// <summary>Added to the logits of these token ids before sampling (OpenAI's logit_bias, -100..100); logprobs stay unbiased.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Caller's id for logs and metrics; the engine makes one when null.</summary>
    public string? RequestId { get; init; }
}
