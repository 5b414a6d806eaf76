namespace SeekSharp.IO.Tokenization.Synthetic;

/// <summary>
/// The parts of DeepSeek-V3/V3.1/V3.2's tokenizer.json that do not depend on the vocabulary: the pre-tokenizer
/// regexes (copied from the real file, see spec §4.1) and the added tokens with their <c>special</c> flags, in
/// the real file's order (spec §4.2). A tokenizer we write ourselves uses these so that it cuts text exactly
/// like the real one and knows every marker of the V3.2 chat format.
/// </summary>
public static class DeepSeekTokenizerLayout
{
    /// <summary>Split 1: digit runs in chunks of at most three.</summary>
    public const string DigitsPattern = "\\p{N}{1,3}";

    /// <summary>Split 2: runs of CJK ideographs U+4E00–U+9FA5, Hiragana and Katakana.</summary>
    public const string CjkPattern = "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+";

    /// <summary>Split 3: the word / punctuation / whitespace alternation (CR and LF are literal characters).</summary>
    public const string MainPattern =
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+" +
        "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+" +
        "| ?[\\p{P}\\p{S}]+[\r\n]*" +
        "|\\s*[\r\n]+" +
        "|\\s+(?!\\S)" +
        "|\\s+";

    public static IReadOnlyList<string> SplitPatterns { get; } = [DigitsPattern, CjkPattern, MainPattern];

    /// <summary>BOS, EOS and pad: ids 0, 1, 2, special (dropped by skip_special_tokens).</summary>
    public static IReadOnlyList<string> LeadingSpecialTokens { get; } =
    [
        Chat.DsmlTokens.Bos,
        Chat.DsmlTokens.Eos,
        "<\uFF5C\u2581pad\u2581\uFF5C>",
    ];

    /// <summary>
    /// The added tokens above the BPE vocabulary (real ids 128796–128814, without the placeholders), in id order.
    /// Only <c>&lt;|EOT|&gt;</c> is special. The V3.1 tool tokens are not used by the V3.2 format (it writes DSML
    /// as text) but keep the vocabulary's shape.
    /// </summary>
    public static IReadOnlyList<(string Content, bool Special)> TrailingAddedTokens { get; } =
    [
        ("<\uFF5Csearch\u2581begin\uFF5C>", false),
        ("<\uFF5Csearch\u2581end\uFF5C>", false),
        (Chat.DsmlTokens.ThinkStart, false),
        (Chat.DsmlTokens.ThinkEnd, false),
        ("<\uFF5Cfim\u2581hole\uFF5C>", false),
        ("<\uFF5Cfim\u2581begin\uFF5C>", false),
        ("<\uFF5Cfim\u2581end\uFF5C>", false),
        (Chat.DsmlTokens.User, false),
        (Chat.DsmlTokens.Assistant, false),
        ("<|EOT|>", true),
        ("<\uFF5Ctool\u2581calls\u2581begin\uFF5C>", false),
        ("<\uFF5Ctool\u2581calls\u2581end\uFF5C>", false),
        ("<\uFF5Ctool\u2581call\u2581begin\uFF5C>", false),
        ("<\uFF5Ctool\u2581call\u2581end\uFF5C>", false),
        ("<\uFF5Ctool\u2581outputs\u2581begin\uFF5C>", false),
        ("<\uFF5Ctool\u2581outputs\u2581end\uFF5C>", false),
        ("<\uFF5Ctool\u2581output\u2581begin\uFF5C>", false),
        ("<\uFF5Ctool\u2581output\u2581end\uFF5C>", false),
        ("<\uFF5Ctool\u2581sep\uFF5C>", false),
    ];
}
