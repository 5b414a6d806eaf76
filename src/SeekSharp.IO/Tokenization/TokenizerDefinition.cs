using SeekSharp.IO.Tokenization.Regex;

namespace SeekSharp.IO.Tokenization;

/// <summary>What <see cref="TokenizerJsonReader"/> extracts from a tokenizer.json.</summary>
internal sealed record TokenizerDefinition(
    Dictionary<string, int> Vocabulary,
    MergeTable Merges,
    bool IgnoreMerges,
    IReadOnlyList<AddedToken> AddedTokens,
    IReadOnlyList<CodePointRegex> Splits);
