using SeekSharp.Engine;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Server.Processing;

/// <summary>Raw completions (/v1/completions): ids → text with stop strings cut; special tokens (BOS, EOS) are dropped, as vLLM does by default.</summary>
public sealed class TextOutputProcessor(DeepSeekTokenizer tokenizer, IReadOnlyList<string> stop)
{
    private readonly TokenText _text = new(tokenizer, skipSpecialTokens: true);
    private readonly StopStringMatcher _stops = new(tokenizer, stop);

    public bool StoppedByString => _stops.Stopped;

    public string Push(int tokenId) => _stops.Stopped ? "" : _stops.PushText(_text.Push(tokenId));

    public string Complete() => _stops.PushText(_text.Flush()) + _stops.Flush();
}
