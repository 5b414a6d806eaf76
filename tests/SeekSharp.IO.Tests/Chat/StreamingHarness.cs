using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Parsing;

namespace SeekSharp.IO.Tests.Chat;

/// <summary>Drives <see cref="StreamingDsmlParser"/> over chunkings and sums its events up.</summary>
internal static class StreamingHarness
{
    /// <summary>Everything the events said, with text before and after the problem kept apart.</summary>
    public sealed record Summary(
        string Reasoning,
        string Content,
        IReadOnlyList<ToolCall> ToolCalls,
        string? Problem,
        string Raw,
        StreamEnd End)
    {
        public bool Equals(Summary? other) =>
            other is not null && Reasoning == other.Reasoning && Content == other.Content && ToolCalls.SequenceEqual(other.ToolCalls)
            && Problem == other.Problem && Raw == other.Raw && End == other.End;

        public override int GetHashCode() => HashCode.Combine(Reasoning, Content, Problem, Raw);
    }

    public static List<ParserEvent> Run(ThinkingMode mode, IEnumerable<string> chunks)
    {
        var parser = new StreamingDsmlParser(mode);
        var events = new List<ParserEvent>();
        foreach (var chunk in chunks) events.AddRange(parser.Push(chunk));
        events.AddRange(parser.Complete());
        return events;
    }

    public static Summary Summarize(IReadOnlyList<ParserEvent> events)
    {
        string reasoning = "", content = "", raw = "";
        string? problem = null;
        var calls = new List<ToolCall>();
        Assert.IsType<StreamEnd>(events[^1]);
        foreach (var e in events.Take(events.Count - 1))
        {
            switch (e)
            {
                case ReasoningDelta r:
                    Assert.Null(problem);
                    Assert.NotEmpty(r.Text);
                    reasoning += r.Text;
                    break;
                case ContentDelta c:
                    Assert.NotEmpty(c.Text);
                    if (problem is null) content += c.Text;
                    else raw += c.Text;
                    break;
                case ToolCallParsed t:
                    Assert.Null(problem);
                    calls.Add(t.ToToolCall());
                    break;
                case ParseProblem p:
                    Assert.Null(problem);
                    problem = p.Message;
                    break;
                default:
                    Assert.Fail($"unexpected event {e}");
                    break;
            }
        }
        var end = (StreamEnd)events[^1];
        Assert.Equal(problem, end.Problem);
        return new Summary(reasoning, content, calls, problem, raw, end);
    }

    public static Summary Summarize(ThinkingMode mode, IEnumerable<string> chunks) => Summarize(Run(mode, chunks));

    public static IEnumerable<string[]> TwoChunkSplits(string text)
    {
        for (var i = 0; i <= text.Length; i++) yield return [text[..i], text[i..]];
    }

    public static IEnumerable<string> OneCharAtATime(string text) => text.Select(c => c.ToString());

    public static IEnumerable<string[]> RandomChunkings(string text, int seed, int count)
    {
        var random = new Random(seed);
        for (var n = 0; n < count; n++)
        {
            var chunks = new List<string>();
            var at = 0;
            var maxChunk = 1 + random.Next(12);
            while (at < text.Length)
            {
                var size = Math.Min(text.Length - at, random.Next(maxChunk + 1));
                chunks.Add(text.Substring(at, size));
                at += size;
            }
            yield return [.. chunks];
        }
    }
}
