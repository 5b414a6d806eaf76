namespace SeekSharp.IO.Chat.Parsing;

/// <summary>A completion the reference parser rejects; the message is the reference's assertion text.</summary>
public sealed class DsmlParseException : Exception
{
    public DsmlParseException(string message) : base(message) { }
}

/// <summary>The reference parser's error texts.</summary>
public static class DsmlParseErrors
{
    public const string InvalidThinkingFormat = "Invalid thinking format";
    public const string InvalidSummaryFormat = "Invalid summary format";
    public const string ToolCallFormat = "Tool call format error";
    public const string MissingSpecialToken = "Missing special token";
    public const string ToolNameFormat = "Tool name format error";
    public const string ParameterFormat = "Parameter format error";
    public const string DuplicateParameter = "Duplicate parameter name";
    public const string ContentAfterToolCalls = "Unexpected content after tool calls";
    public const string ContentAtEnd = "Unexpected content at end";
    public const string SpecialTokenInContent = "Unexpected special token in content";
}
