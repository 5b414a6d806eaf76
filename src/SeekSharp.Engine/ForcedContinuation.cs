namespace SeekSharp.Engine;

/// <summary>
/// Tokens the engine appends to a reply instead of sampling them: right at the start of the reply
/// (<paramref name="AfterToken"/> null) or right after the first time the model samples <paramref name="AfterToken"/>
/// (e.g. <c>&lt;/think&gt;</c>, so a model that reasons first is then made to open a tool call). They are streamed
/// like sampled tokens (without logprobs), count against <see cref="EngineRequest.MaxNewTokens"/> (cut to fit), and a
/// forced EOS or stop token ends the request like a sampled one. The model then continues after them.
/// </summary>
public sealed record ForcedContinuation(int? AfterToken, IReadOnlyList<int> Tokens);
