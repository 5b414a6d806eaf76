namespace SeekSharp.Engine;

/// <summary>Facts about the served model that callers validate against.</summary>
/// <param name="Name">Model id as clients name it (the checkpoint folder name by default).</param>
/// <param name="VocabSize">Logit width; token ids must be below it.</param>
/// <param name="MaxContextTokens">Prompt + generated tokens allowed per request.</param>
/// <param name="EosTokenIds">Tokens that end generation unless <see cref="EngineRequest.IgnoreEos"/>.</param>
public sealed record EngineModelInfo(string Name, int VocabSize, int MaxContextTokens, IReadOnlyList<int> EosTokenIds);
