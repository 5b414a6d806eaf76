using System.Text;

namespace SeekSharp.IO.Chat.Parsing;

/// <summary>
/// The unconsumed text of a streaming parse and a cursor into it. Searches resume where the last one
/// stopped, so a long tool-call parameter arriving in many small deltas is scanned once.
/// </summary>
internal sealed class StreamBuffer
{
    public enum Match
    {
        Matched,
        NeedMore,
        Mismatch,
    }

    private readonly StringBuilder _text = new();
    private int _scanFrom;

    public int Length => _text.Length;

    public int Cursor { get; private set; }

    public int Available => _text.Length - Cursor;

    public void Append(string delta) => _text.Append(delta);

    public override string ToString() => _text.ToString();

    public string Slice(int start, int end) => _text.ToString(start, end - start);

    public string Rest() => _text.ToString(Cursor, _text.Length - Cursor);

    /// <summary>At most <paramref name="max"/> characters from the cursor on.</summary>
    public string Peek(int max) => _text.ToString(Cursor, Math.Min(max, _text.Length - Cursor));

    public void Advance(int count)
    {
        Cursor += count;
        _scanFrom = Math.Max(_scanFrom, Cursor);
    }

    /// <summary>Forgets everything before the cursor.</summary>
    public void DropConsumed()
    {
        _text.Remove(0, Cursor);
        _scanFrom = Math.Max(0, _scanFrom - Cursor);
        Cursor = 0;
    }

    /// <summary>Forgets the first <paramref name="count"/> characters (cursor at 0).</summary>
    public string Take(int count)
    {
        var taken = _text.ToString(0, count);
        _text.Remove(0, count);
        _scanFrom = Math.Max(0, _scanFrom - count);
        return taken;
    }

    public void Clear()
    {
        _text.Clear();
        Cursor = _scanFrom = 0;
    }

    /// <summary>How the text at the cursor compares with <paramref name="literal"/>.</summary>
    public Match MatchAtCursor(string literal)
    {
        var n = Math.Min(Available, literal.Length);
        for (var i = 0; i < n; i++)
            if (_text[Cursor + i] != literal[i]) return Match.Mismatch;
        return Available >= literal.Length ? Match.Matched : Match.NeedMore;
    }

    /// <summary>
    /// The earliest complete occurrence of any stop at or after the cursor (index into the buffer), or -1.
    /// When none is found the next search skips what cannot start one.
    /// </summary>
    public (int At, string? Stop) FindFirst(IReadOnlyList<string> stops)
    {
        var from = Math.Max(_scanFrom, Cursor);
        var window = _text.ToString(from, _text.Length - from);
        var best = -1;
        string? matched = null;
        foreach (var stop in stops)
        {
            var at = window.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best))
            {
                best = at;
                matched = stop;
            }
        }
        if (matched is not null) return (from + best, matched);
        var longest = stops.Max(s => s.Length);
        _scanFrom = Math.Max(Cursor, _text.Length - (longest - 1));
        return (-1, null);
    }

    /// <summary>Length of the longest suffix that is a proper prefix of a stop: text that must wait for more input.</summary>
    public int HoldBack(IReadOnlyList<string> stops)
    {
        var longest = stops.Max(s => s.Length);
        for (var k = Math.Min(_text.Length - Cursor, longest - 1); k > 0; k--)
        {
            foreach (var stop in stops)
            {
                if (stop.Length <= k) continue;
                var matches = true;
                for (var i = 0; i < k && matches; i++)
                    matches = _text[_text.Length - k + i] == stop[i];
                if (matches) return k;
            }
        }
        return 0;
    }
}
