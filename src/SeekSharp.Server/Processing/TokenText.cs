using SeekSharp.IO.Tokenization;

namespace SeekSharp.Server.Processing;

/// <summary>
/// Streams generated ids into text. Ids the model can produce but the tokenizer does not know (the embedding is
/// padded past the vocabulary: 129,280 rows for 128,815 tokens) become no text rather than failing the request.
/// </summary>
/// <param name="skipSpecialTokens">Drop BOS/EOS/pad text (raw completions); chat keeps it, its parser needs EOS.</param>
public sealed class TokenText(DeepSeekTokenizer tokenizer, bool skipSpecialTokens = false)
{
    private readonly StreamingDetokenizer _detokenizer = tokenizer.CreateStreamingDetokenizer(skipSpecialTokens);

    public string Push(int tokenId) => tokenizer.IsKnownId(tokenId) ? _detokenizer.Push(tokenId) : "";

    public string Flush() => _detokenizer.Flush();
}
