using System.Text;

namespace SeekSharp.Server.Processing;

/// <summary>
/// Finds stop strings in streamed text. <see cref="Push"/> returns only text that can no longer be the start of a
/// stop string; once one is found it returns the text before it and <see cref="Stopped"/> turns true (the stop string
/// itself is never returned, as in the OpenAI API). Written for the server's output processors (the engine works on
/// token ids only); one instance per generation.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _held = new();

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        if (stops.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty", nameof(stops));
        _stops = [.. stops];
    }

    public bool Stopped { get; private set; }

    /// <summary>The stop string that ended the text, when <see cref="Stopped"/>.</summary>
    public string? MatchedStop { get; private set; }

    public string Push(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Stopped) return "";
        if (_stops.Length == 0) return text;
        _held.Append(text);
        var held = _held.ToString();

        var (at, stop) = FindEarliest(held);
        if (stop is not null)
        {
            Stopped = true;
            MatchedStop = stop;
            _held.Clear();
            return held[..at];
        }
        var keep = LongestPartialSuffix(held);
        _held.Clear().Append(held, held.Length - keep, keep);
        return held[..^keep];
    }

    /// <summary>The generation ended: whatever was held back is text after all.</summary>
    public string Flush()
    {
        if (Stopped) return "";
        var rest = _held.ToString();
        _held.Clear();
        return rest;
    }

    private (int At, string? Stop) FindEarliest(string text)
    {
        var best = (At: int.MaxValue, Stop: (string?)null);
        foreach (var stop in _stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && at < best.At) best = (at, stop);
        }
        return best;
    }

    // the longest end of the text that is a proper prefix of some stop string
    private int LongestPartialSuffix(string text)
    {
        var longest = 0;
        foreach (var stop in _stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (string.CompareOrdinal(text, text.Length - length, stop, 0, length) == 0)
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
