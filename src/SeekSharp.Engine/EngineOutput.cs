namespace SeekSharp.Engine;

/// <summary>One sampled (or forced) token; the last output of a request also carries <see cref="Finish"/>.</summary>
/// <param name="TokenId">The token, or -1 on a final output that carries no token (cancelled, error, a prompt scored only).</param>
/// <param name="Logprob">Null for forced tokens and when not asked.</param>
public sealed record EngineOutput(int TokenId, TokenLogprob? Logprob, EngineFinish? Finish)
{
    /// <summary>
    /// On the first output of a request that asked for <see cref="EngineRequest.PromptLogprobs"/>: one entry per prompt
    /// token, the first null (nothing predicts it).
    /// </summary>
    public IReadOnlyList<TokenLogprob?>? PromptLogprobs { get; init; }
}

/// <summary>Log-probability of the sampled token and the most likely alternatives (descending).</summary>
public sealed record TokenLogprob(float Logprob, IReadOnlyList<TopLogprob> Top);

public readonly record struct TopLogprob(int TokenId, float Logprob);

/// <summary>Why and how a request ended.</summary>
/// <param name="CachedPromptTokens">Prompt tokens served from the prefix cache (not recomputed).</param>
public sealed record EngineFinish(FinishReason Reason, int PromptTokens, int CachedPromptTokens, int CompletionTokens, string? Error = null);

public enum FinishReason
{
    /// <summary>EOS or a stop token was sampled.</summary>
    Stop,
    /// <summary>MaxNewTokens reached.</summary>
    Length,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
    /// <summary>The model failed on this request; <see cref="EngineFinish.Error"/> says why. Other requests go on.</summary>
    Error,
}
