namespace SeekSharp.IO.Tokenization;

/// <summary>An entry of tokenizer.json's added_tokens: matched verbatim in text before pre-tokenization.</summary>
/// <param name="Special">Dropped by Decode(skipSpecialTokens: true).</param>
/// <param name="LStrip">The match absorbs whitespace on its left.</param>
/// <param name="RStrip">The match absorbs whitespace on its right.</param>
/// <param name="SingleWord">Only matches when not glued to word characters on either side.</param>
/// <param name="Normalized">Matched against normalized text (with no normalizer: in a second pass).</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);
