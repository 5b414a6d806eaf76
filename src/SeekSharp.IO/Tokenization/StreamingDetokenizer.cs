using System.Text;

namespace SeekSharp.IO.Tokenization;

/// <summary>
/// Turns generated ids into text as they arrive. <see cref="Push"/> returns only complete text:
/// bytes of a character split across tokens are held until the character is complete, so no chunk
/// ever ends in half a character. The concatenation of all Push results and <see cref="Flush"/>
/// equals <see cref="DeepSeekTokenizer.Decode"/> of the same ids. Not thread-safe (one per stream).
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly DeepSeekTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private byte[] _pending = new byte[16];
    private int _count;

    public StreamingDetokenizer(DeepSeekTokenizer tokenizer, bool skipSpecialTokens = false)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Feeds one id; returns the text that became complete (possibly empty).</summary>
    public string Push(int id)
    {
        if (_tokenizer.TryGetAddedToken(id, out var added))
        {
            if (_skipSpecialTokens && added.Special) return "";
            // As in Decode, an added token ends the byte run before it.
            var before = Flush();
            return before.Length == 0 ? added.Content : before + added.Content;
        }
        var bytes = _tokenizer.TokenBytes(id);
        if (_count + bytes.Length > _pending.Length) Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _count + bytes.Length));
        bytes.CopyTo(_pending.AsSpan(_count));
        _count += bytes.Length;

        var ready = Utf8Boundary.DecodablePrefixLength(_pending.AsSpan(0, _count));
        if (ready == 0) return "";
        var text = Encoding.UTF8.GetString(_pending, 0, ready);
        _pending.AsSpan(ready, _count - ready).CopyTo(_pending);
        _count -= ready;
        return text;
    }

    /// <summary>Ends the stream: returns any held bytes, an incomplete character becoming U+FFFD.</summary>
    public string Flush()
    {
        if (_count == 0) return "";
        var text = Encoding.UTF8.GetString(_pending, 0, _count);
        _count = 0;
        return text;
    }
}
