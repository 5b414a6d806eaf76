using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Parsing;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Server.Processing;

/// <summary>
/// Turns one chat generation's token ids into what the client sees: ids → text (<see cref="TokenText"/>) → stop
/// strings cut (<see cref="StopStringMatcher"/>) → <see cref="StreamingDsmlParser"/> → reasoning, content and tool-call
/// deltas. One instance per request, used from the request's thread only.
/// </summary>
public sealed class ChatOutputProcessor
{
    private readonly TokenText _text;
    private readonly StopStringMatcher _stops;
    private readonly StreamingDsmlParser _parser;
    private readonly Func<string> _newToolCallId;
    private bool _reasoningOpen;
    private bool _completed;

    /// <param name="forcedPrefix">Text the prompt already ends with that belongs to the reply (a forced tool-call opening): parsed, not streamed as text.</param>
    public ChatOutputProcessor(
        DeepSeekTokenizer tokenizer,
        ThinkingMode mode,
        IReadOnlyList<string> stop,
        string forcedPrefix = "",
        Func<string>? newToolCallId = null)
    {
        _text = new TokenText(tokenizer);
        _stops = new StopStringMatcher(tokenizer, stop);
        _parser = new StreamingDsmlParser(mode);
        _newToolCallId = newToolCallId ?? ToolCallIds.New;
        _reasoningOpen = mode == ThinkingMode.Thinking;
        if (forcedPrefix.Length > 0) _ = Translate(_parser.Push(forcedPrefix));
    }

    /// <summary>Generated tokens that belong to the reasoning (up to and including the one that closes it).</summary>
    public int ReasoningTokens { get; private set; }

    public int ToolCallCount { get; private set; }

    /// <summary>A stop string was found: the caller should end the generation and call <see cref="Complete"/>.</summary>
    public bool StoppedByString => _stops.Stopped;

    /// <summary>Why the output could not be parsed as a V3.2 reply (its raw rest then arrived as content), or null.</summary>
    public string? ParseProblem => _parser.Problem;

    /// <summary>The model closed its reply with EOS.</summary>
    public bool SawEndOfSentence { get; private set; }

    public IReadOnlyList<ChatDelta> Push(int tokenId)
    {
        if (_completed) throw new InvalidOperationException("Push after Complete");
        if (_stops.Stopped) return [];
        var text = _text.Push(tokenId);
        if (_reasoningOpen)
        {
            ReasoningTokens++;
            if (text.Contains(DsmlTokens.ThinkEnd, StringComparison.Ordinal)) _reasoningOpen = false;
        }
        var ready = _stops.PushText(text);
        return ready.Length == 0 ? [] : Translate(_parser.Push(ready));
    }

    /// <summary>The generation ended (EOS, length, stop string or cancellation): decides everything held back.</summary>
    public IReadOnlyList<ChatDelta> Complete()
    {
        if (_completed) throw new InvalidOperationException("Complete called twice");
        _completed = true;
        var deltas = new List<ChatDelta>();
        var rest = _stops.PushText(_text.Flush()) + _stops.Flush();
        if (rest.Length > 0) deltas.AddRange(Translate(_parser.Push(rest)));
        deltas.AddRange(Translate(_parser.Complete()));
        return deltas;
    }

    private List<ChatDelta> Translate(IReadOnlyList<ParserEvent> events)
    {
        var deltas = new List<ChatDelta>(events.Count);
        foreach (var e in events)
        {
            switch (e)
            {
                case ReasoningDelta r:
                    Append(deltas, new ReasoningChunk(r.Text));
                    break;
                case ContentDelta c:
                    Append(deltas, new ContentChunk(c.Text));
                    break;
                case ToolCallParsed call:
                    deltas.Add(new ToolCallChunk(ToolCallCount++, call.ToToolCall(_newToolCallId())));
                    break;
                case StreamEnd end:
                    SawEndOfSentence = end.SawEndOfSentence;
                    break;
            }
        }
        return deltas;
    }

    // neighbouring text of the same kind goes out as one delta
    private static void Append(List<ChatDelta> deltas, ChatDelta delta)
    {
        if (deltas.Count > 0)
        {
            switch (deltas[^1], delta)
            {
                case (ReasoningChunk a, ReasoningChunk b):
                    deltas[^1] = new ReasoningChunk(a.Text + b.Text);
                    return;
                case (ContentChunk a, ContentChunk b):
                    deltas[^1] = new ContentChunk(a.Text + b.Text);
                    return;
            }
        }
        deltas.Add(delta);
    }
}
