using System.Text;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Engine;

/// <summary>
/// Stop strings over a token stream (they live above the engine): feed each sampled token, get the text that is safe
/// to show. Text that could be the start of a stop string is held back until it is ruled out; when a stop string
/// appears, <see cref="Stopped"/> turns true and the text up to (not including) it has been returned — the caller
/// then cancels the request. Call <see cref="Flush"/> when the stream ends without a stop.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly StreamingDetokenizer _detokenizer;
    private readonly string[] _stops;
    private readonly int _holdBack;
    private readonly StringBuilder _pending = new();

    public StopStringMatcher(DeepSeekTokenizer tokenizer, IEnumerable<string> stopStrings, bool skipSpecialTokens = false)
        : this(new StreamingDetokenizer(tokenizer, skipSpecialTokens), stopStrings) { }

    public StopStringMatcher(StreamingDetokenizer detokenizer, IEnumerable<string> stopStrings)
    {
        _detokenizer = detokenizer;
        _stops = [.. stopStrings.Where(s => s.Length > 0).Distinct()];
        _holdBack = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length) - 1;
    }

    /// <summary>True once a stop string appeared; later pushes return nothing.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The stop string that matched, when <see cref="Stopped"/>.</summary>
    public string? MatchedStop { get; private set; }

    /// <summary>Feeds one token; returns the newly releasable text (possibly empty).</summary>
    public string Push(int tokenId) => Stopped ? "" : PushText(_detokenizer.Push(tokenId));

    /// <summary>Feeds decoded text directly (for callers that detokenize themselves).</summary>
    public string PushText(string text)
    {
        if (Stopped || text.Length == 0) return "";
        _pending.Append(text);
        var pending = _pending.ToString();
        var (at, stop) = FirstStop(pending);
        if (stop is not null)
        {
            Stopped = true;
            MatchedStop = stop;
            _pending.Clear();
            return pending[..at];
        }
        // keep the longest tail that is a proper prefix of some stop string
        var keep = 0;
        for (var n = Math.Min(_holdBack, pending.Length); n > 0 && keep == 0; n--)
            if (_stops.Any(s => s.StartsWith(pending.AsSpan(pending.Length - n), StringComparison.Ordinal))) keep = n;
        var release = pending.Length - keep;
        _pending.Remove(0, release);
        return pending[..release];
    }

    /// <summary>End of stream: whatever was held back (and any incomplete UTF-8 the detokenizer kept) is real text.</summary>
    public string Flush()
    {
        if (Stopped) return "";
        var rest = _pending + _detokenizer.Flush();
        _pending.Clear();
        return rest;
    }

    private (int At, string? Stop) FirstStop(string text)
    {
        var at = int.MaxValue;
        string? found = null;
        foreach (var stop in _stops)
        {
            var i = text.IndexOf(stop, StringComparison.Ordinal);
            if (i >= 0 && i < at) (at, found) = (i, stop);
        }
        return (found is null ? -1 : at, found);
    }
}
