namespace SeekSharp.IO.Chat.Parsing;

// The tool-call block, read in the same steps as the reference's parse_tool_calls. The buffer starts at the
// point a failure would pass on from: the block's "\n\n<｜DSML｜function_calls" until the first call is
// reported, afterwards the end of the last reported call (or of the block, or of EOS).
public sealed partial class StreamingDsmlParser
{
    private const string Separator = ">\n";

    // enough of a tag's start to tell whether it can still match (longer whitespace runs just wait)
    private const int PrefixWindow = 64;

    private static readonly string[] s_invokeNameStops = [DsmlTokens.ParameterOpen, DsmlTokens.InvokeClose];
    private static readonly string[] s_parameterStops = [DsmlTokens.ParameterCloseWithoutLt];

    private string _invokeName = "";
    private readonly List<(string Name, string Value, bool IsString)> _parameters = [];
    private ToolCallParsed? _pendingCall;

    // ">\n" after "<｜DSML｜function_calls" or after an invoke's "</｜DSML｜invoke". The text may end right before it.
    private bool StepCallsSeparator(List<ParserEvent> events, bool final)
    {
        switch (_buffer.MatchAtCursor(Separator))
        {
            case StreamBuffer.Match.Matched:
                _buffer.Advance(Separator.Length);
                ReportPendingCall(events);
                _state = State.CallsTag;
                return true;
            case StreamBuffer.Match.NeedMore when !final:
                return false;
            case StreamBuffer.Match.NeedMore when _buffer.Available == 0:
                ReportPendingCall(events);
                return false;
            default:
                Fail(events, DsmlParseErrors.ToolCallFormat);
                return false;
        }
    }

    // The next invoke or the end of the block.
    private bool StepCallsTag(List<ParserEvent> events, bool final)
    {
        var invoke = _buffer.MatchAtCursor(DsmlTokens.InvokeOpen);
        var close = _buffer.MatchAtCursor(DsmlTokens.FunctionCallsClose);
        if (invoke == StreamBuffer.Match.Matched)
        {
            _buffer.Advance(DsmlTokens.InvokeOpen.Length);
            _state = State.InvokeName;
            return true;
        }
        if (close == StreamBuffer.Match.Matched)
        {
            _buffer.Advance(DsmlTokens.FunctionCallsClose.Length);
            _buffer.DropConsumed();
            _state = State.AfterCalls;
            return true;
        }
        if (invoke == StreamBuffer.Match.NeedMore || close == StreamBuffer.Match.NeedMore)
        {
            if (!final) return false;
            Fail(events, _buffer.Available == 0 ? DsmlParseErrors.MissingSpecialToken : DsmlParseErrors.ToolCallFormat);
            return false;
        }
        Fail(events, DsmlParseErrors.ToolCallFormat);
        return false;
    }

    // ` name="NAME">\n` up to the first parameter or the invoke's end.
    private bool StepInvokeName(List<ParserEvent> events, bool final)
    {
        var (at, stop) = _buffer.FindFirst(s_invokeNameStops);
        if (stop is null)
        {
            if (!final)
            {
                if (DsmlPatterns.CanStillMatchInvokeName(_buffer.Peek(PrefixWindow))) return false;
                Fail(events, DsmlParseErrors.ToolNameFormat);
                return false;
            }
            // the text ends inside the invoke's opening: the reference accepts a complete name line as a call
            if (DsmlPatterns.TryMatchInvokeName(_buffer.Rest(), out var lastName))
            {
                _pendingCall = new ToolCallParsed(lastName, "{}");
                ReportPendingCall(events);
            }
            else Fail(events, DsmlParseErrors.ToolNameFormat);
            return false;
        }
        if (!DsmlPatterns.TryMatchInvokeName(_buffer.Slice(_buffer.Cursor, at), out var name))
        {
            Fail(events, DsmlParseErrors.ToolNameFormat);
            return false;
        }
        _invokeName = name;
        _parameters.Clear();
        _buffer.Advance(at + stop.Length - _buffer.Cursor);
        if (stop == DsmlTokens.ParameterOpen) _state = State.Parameter;
        else CloseInvoke();
        return true;
    }

    // ` name="KEY" string="true|false">VALUE<` up to "/｜DSML｜parameter".
    private bool StepParameter(List<ParserEvent> events, bool final)
    {
        var (at, stop) = _buffer.FindFirst(s_parameterStops);
        if (stop is null)
        {
            if (!final && DsmlPatterns.CanStillMatchParameter(_buffer.Peek(PrefixWindow))) return false;
            // at the end the reference still checks this parameter, then fails on the missing ">\n"
            var duplicate = final && DsmlPatterns.TryMatchParameter(_buffer.Rest(), out var lastKey, out _, out _) && HasParameter(lastKey);
            Fail(events, duplicate ? DsmlParseErrors.DuplicateParameter : DsmlParseErrors.ParameterFormat);
            return false;
        }
        if (!DsmlPatterns.TryMatchParameter(_buffer.Slice(_buffer.Cursor, at), out var key, out var isString, out var value))
        {
            Fail(events, DsmlParseErrors.ParameterFormat);
            return false;
        }
        if (HasParameter(key))
        {
            Fail(events, DsmlParseErrors.DuplicateParameter);
            return false;
        }
        _parameters.Add((key, value, isString));
        _buffer.Advance(at + stop.Length - _buffer.Cursor);
        _state = State.ParameterSeparator;
        return true;
    }

    // ">\n" closing a parameter tag.
    private bool StepParameterSeparator(List<ParserEvent> events, bool final)
    {
        switch (_buffer.MatchAtCursor(Separator))
        {
            case StreamBuffer.Match.Matched:
                _buffer.Advance(Separator.Length);
                _state = State.ParameterNext;
                return true;
            case StreamBuffer.Match.NeedMore when !final:
                return false;
            default:
                Fail(events, DsmlParseErrors.ParameterFormat);
                return false;
        }
    }

    // Another parameter or the invoke's end; the text may also end here (the reference accepts the call).
    private bool StepParameterNext(List<ParserEvent> events, bool final)
    {
        var parameter = _buffer.MatchAtCursor(DsmlTokens.ParameterOpen);
        var close = _buffer.MatchAtCursor(DsmlTokens.InvokeClose);
        if (parameter == StreamBuffer.Match.Matched)
        {
            _buffer.Advance(DsmlTokens.ParameterOpen.Length);
            _state = State.Parameter;
            return true;
        }
        if (close == StreamBuffer.Match.Matched)
        {
            _buffer.Advance(DsmlTokens.InvokeClose.Length);
            CloseInvoke();
            return true;
        }
        if (parameter == StreamBuffer.Match.NeedMore || close == StreamBuffer.Match.NeedMore)
        {
            if (!final) return false;
            if (_buffer.Available == 0)
            {
                CloseInvoke();
                ReportPendingCall(events);
            }
            else Fail(events, DsmlParseErrors.ParameterFormat);
            return false;
        }
        Fail(events, DsmlParseErrors.ParameterFormat);
        return false;
    }

    // After the block only EOS (or the end of the text) may come.
    private bool StepAfterCalls(List<ParserEvent> events, bool final)
    {
        switch (_buffer.MatchAtCursor(DsmlTokens.Eos))
        {
            case StreamBuffer.Match.Matched:
                _buffer.Advance(DsmlTokens.Eos.Length);
                _buffer.DropConsumed();
                _sawEos = true;
                _state = State.AfterEos;
                return true;
            case StreamBuffer.Match.NeedMore when !final || _buffer.Available == 0:
                return false;
            default:
                Fail(events, DsmlParseErrors.ContentAfterToolCalls);
                return false;
        }
    }

    private bool HasParameter(string key) => _parameters.Exists(p => p.Name == key);

    // The call is complete; it is reported once the ">\n" after it has arrived (or the text ends there).
    private void CloseInvoke()
    {
        _pendingCall = new ToolCallParsed(_invokeName, DsmlArgumentsJson.Build(_parameters));
        _parameters.Clear();
        _state = State.CallsSeparator;
    }

    private void ReportPendingCall(List<ParserEvent> events)
    {
        if (_pendingCall is null) return;
        events.Add(_pendingCall);
        _toolCallCount++;
        _pendingCall = null;
        _buffer.DropConsumed();
    }
}
