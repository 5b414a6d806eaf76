using System.Text;

namespace SeekSharp.IO.Chat.Parsing;

/// <summary>
/// Parses a completion while it is generated. Feed text deltas to <see cref="Push"/> and call
/// <see cref="Complete"/> once at the end. For any well-formed completion the events add up to
/// <see cref="DsmlCompletionParser.Parse"/>'s result however the text is chunked: text that might be the start
/// of a marker (<c>&lt;/think&gt;</c>, EOS, <c>\n\n&lt;｜DSML｜function_calls</c>) is held back until it is
/// decided. Malformed or truncated output never throws: the parser reports one <see cref="ParseProblem"/>
/// (the reference's message) and passes the unparsed rest through as content.
/// </summary>
public sealed partial class StreamingDsmlParser
{
    private enum State
    {
        Reasoning,
        Content,
        CallsSeparator,
        CallsTag,
        InvokeName,
        Parameter,
        ParameterSeparator,
        ParameterNext,
        AfterCalls,
        AfterEos,
        Raw,
        Completed,
    }

    private static readonly string[] s_reasoningStops = [DsmlTokens.ThinkEnd, DsmlTokens.ToolCallsStart, DsmlTokens.Eos];
    private static readonly string[] s_contentStops = [DsmlTokens.Eos, DsmlTokens.ToolCallsStart];

    private readonly StreamBuffer _buffer = new();
    private readonly StringBuilder _reasoning = new();
    private readonly StringBuilder _content = new();
    private State _state;
    private string? _problem;
    private bool _sawEos;
    private int _toolCallCount;

    /// <param name="mode">In thinking mode the prompt ended with <c>&lt;think&gt;</c>, so the completion starts in reasoning.</param>
    public StreamingDsmlParser(ThinkingMode mode)
    {
        Mode = mode;
        _state = mode == ThinkingMode.Thinking ? State.Reasoning : State.Content;
    }

    public ThinkingMode Mode { get; }

    /// <summary>The problem reported so far, if any.</summary>
    public string? Problem => _problem;

    public IReadOnlyList<ParserEvent> Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (_state == State.Completed) throw new InvalidOperationException("Push after Complete");
        var events = new List<ParserEvent>();
        if (delta.Length == 0) return events;
        if (_state == State.Raw)
        {
            events.Add(new ContentDelta(delta));
            return events;
        }
        _buffer.Append(delta);
        while (Step(events, final: false)) { }
        return events;
    }

    /// <summary>The completion has ended: decide everything held back and report <see cref="StreamEnd"/>.</summary>
    public IReadOnlyList<ParserEvent> Complete()
    {
        if (_state == State.Completed) throw new InvalidOperationException("Complete called twice");
        var events = new List<ParserEvent>();
        while (Step(events, final: true)) { }
        if (_problem is null
            && (DsmlCompletionParser.ContainsForbiddenToken(_reasoning.ToString()) || DsmlCompletionParser.ContainsForbiddenToken(_content.ToString())))
        {
            _problem = DsmlParseErrors.SpecialTokenInContent;
            events.Add(new ParseProblem(_problem));
        }
        events.Add(new StreamEnd(_toolCallCount > 0 ? "tool_calls" : "stop", _sawEos, _problem));
        _state = State.Completed;
        return events;
    }

    /// <summary>Makes one decision; false when it has to wait for more text (or nothing is left to do).</summary>
    private bool Step(List<ParserEvent> events, bool final) => _state switch
    {
        State.Reasoning => StepReasoning(events, final),
        State.Content => StepContent(events, final),
        State.CallsSeparator => StepCallsSeparator(events, final),
        State.CallsTag => StepCallsTag(events, final),
        State.InvokeName => StepInvokeName(events, final),
        State.Parameter => StepParameter(events, final),
        State.ParameterSeparator => StepParameterSeparator(events, final),
        State.ParameterNext => StepParameterNext(events, final),
        State.AfterCalls => StepAfterCalls(events, final),
        State.AfterEos => StepAfterEos(events),
        _ => false,
    };

    // Reasoning ends at </think>. Tool calls or EOS before it are the reference's "Invalid thinking format".
    private bool StepReasoning(List<ParserEvent> events, bool final)
    {
        var (at, stop) = _buffer.FindFirst(s_reasoningStops);
        if (stop is null)
        {
            var ready = final ? _buffer.Length : _buffer.Length - _buffer.HoldBack(s_reasoningStops);
            EmitReasoning(events, _buffer.Take(ready));
            if (final) Fail(events, DsmlParseErrors.InvalidThinkingFormat);
            return false;
        }
        EmitReasoning(events, _buffer.Take(at));
        if (stop == DsmlTokens.ThinkEnd)
        {
            _buffer.Take(stop.Length);
            _state = State.Content;
            return true;
        }
        if (stop == DsmlTokens.Eos)
        {
            _buffer.Take(stop.Length);
            _sawEos = true;
        }
        Fail(events, DsmlParseErrors.InvalidThinkingFormat);
        return false;
    }

    // Content ends at EOS or where the tool-call block starts.
    private bool StepContent(List<ParserEvent> events, bool final)
    {
        var (at, stop) = _buffer.FindFirst(s_contentStops);
        if (stop is null)
        {
            var ready = final ? _buffer.Length : _buffer.Length - _buffer.HoldBack(s_contentStops);
            EmitContent(events, _buffer.Take(ready));
            if (final) Fail(events, DsmlParseErrors.InvalidSummaryFormat);
            return false;
        }
        EmitContent(events, _buffer.Take(at));
        if (stop == DsmlTokens.Eos)
        {
            _buffer.Take(stop.Length);
            _sawEos = true;
            _state = State.AfterEos;
            return true;
        }
        // keep the marker in the buffer: if the block turns out malformed, it is passed on from here
        _buffer.Advance(stop.Length);
        _state = State.CallsSeparator;
        return true;
    }

    // After EOS nothing may follow.
    private bool StepAfterEos(List<ParserEvent> events)
    {
        if (_buffer.Available > 0) Fail(events, DsmlParseErrors.ContentAtEnd);
        return false;
    }

    private void EmitReasoning(List<ParserEvent> events, string text)
    {
        if (text.Length == 0) return;
        _reasoning.Append(text);
        events.Add(new ReasoningDelta(text));
    }

    private void EmitContent(List<ParserEvent> events, string text)
    {
        if (text.Length == 0) return;
        _content.Append(text);
        events.Add(new ContentDelta(text));
    }

    /// <summary>Reports the problem and passes everything not yet accounted for on as content.</summary>
    private void Fail(List<ParserEvent> events, string message)
    {
        _problem = message;
        events.Add(new ParseProblem(message));
        var raw = _buffer.ToString();
        if (raw.Length > 0) events.Add(new ContentDelta(raw));
        _buffer.Clear();
        _state = State.Raw;
    }
}
