namespace SeekSharp.IO.Chat.Parsing;

/// <summary>What <see cref="StreamingDsmlParser"/> reports while a completion streams in.</summary>
public abstract record ParserEvent;

/// <summary>More reasoning text (thinking mode, before <c>&lt;/think&gt;</c>).</summary>
public sealed record ReasoningDelta(string Text) : ParserEvent;

/// <summary>More reply text; after a <see cref="ParseProblem"/> also the raw, unparsed rest of the completion.</summary>
public sealed record ContentDelta(string Text) : ParserEvent;

/// <summary>A complete tool call, reported once its invoke has closed; arguments are a JSON string as in the reference.</summary>
public sealed record ToolCallParsed(string Name, string ArgumentsJson) : ParserEvent
{
    public ToolCall ToToolCall(string? id = null) => new(Name, ArgumentsJson, id);
}

/// <summary>
/// The completion is not well-formed; the message is the reference parser's error text. When the problem is in
/// the structure, every later character arrives as <see cref="ContentDelta"/>, starting with the text that could
/// not be parsed (nothing is dropped). At most one problem is reported.
/// </summary>
public sealed record ParseProblem(string Message) : ParserEvent;

/// <summary>
/// The last event. <paramref name="FinishReason"/> is "tool_calls" when a tool call was reported, else "stop"
/// (a server replaces it with "length" when it cut the generation); <paramref name="Problem"/> repeats the
/// <see cref="ParseProblem"/> message, null for a well-formed completion.
/// </summary>
public sealed record StreamEnd(string FinishReason, bool SawEndOfSentence, string? Problem) : ParserEvent;
