namespace SeekSharp.Agents.Chat;

/// <summary>
/// Cuts a text stream at the first occurrence of any stop sequence (the stop itself is not passed on). Text that
/// could be the start of a stop sequence is held back until it is decided, so a stop split across tokens is found.
/// </summary>
public sealed class StopSequenceFilter(IReadOnlyList<string> stopSequences)
{
    private readonly string[] _stops = [.. stopSequences.Where(s => s.Length > 0)];
    private string _held = "";

    /// <summary>A stop sequence was found; everything after it is dropped.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The stop sequence that ended the text, if any.</summary>
    public string? MatchedStop { get; private set; }

    /// <summary>Returns the text that can be passed on now (possibly empty).</summary>
    public string Push(string text)
    {
        if (Stopped || text.Length == 0) return "";
        if (_stops.Length == 0) return text;
        var buffer = _held + text;
        var (at, stop) = FindFirst(buffer);
        if (stop is not null)
        {
            Stopped = true;
            MatchedStop = stop;
            _held = "";
            return buffer[..at];
        }
        var keep = LongestSuffixThatStartsAStop(buffer);
        _held = buffer[^keep..];
        return buffer[..^keep];
    }

    /// <summary>The end of the stream: the held-back text was not a stop after all.</summary>
    public string Flush()
    {
        var rest = _held;
        _held = "";
        return Stopped ? "" : rest;
    }

    private (int At, string? Stop) FindFirst(string buffer)
    {
        var best = (At: int.MaxValue, Stop: (string?)null);
        foreach (var stop in _stops)
        {
            var at = buffer.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && at < best.At) best = (at, stop);
        }
        return best;
    }

    private int LongestSuffixThatStartsAStop(string buffer)
    {
        var longest = 0;
        foreach (var stop in _stops)
            for (var length = Math.Min(stop.Length - 1, buffer.Length); length > longest; length--)
                if (buffer.AsSpan(buffer.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
        return longest;
    }
}
