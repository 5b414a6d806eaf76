namespace SeekSharp.IO.Chat;

/// <summary>
/// The literal strings of the V3.2 prompt format. <c>｜</c> is U+FF5C and <c>▁</c> is U+2581; BOS, EOS, the
/// User/Assistant markers and the think tags are single tokens, <c>｜DSML｜</c> tags are ordinary text.
/// </summary>
public static class DsmlTokens
{
    public const string Bos = "<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>";
    public const string Eos = "<\uFF5Cend\u2581of\u2581sentence\uFF5C>";
    public const string User = "<\uFF5CUser\uFF5C>";
    public const string Assistant = "<\uFF5CAssistant\uFF5C>";
    public const string ThinkStart = "<think>";
    public const string ThinkEnd = "</think>";
    public const string Dsml = "\uFF5CDSML\uFF5C";

    public const string FunctionCallsOpen = "<" + Dsml + "function_calls>";
    public const string FunctionCallsClose = "</" + Dsml + "function_calls>";

    /// <summary>What the model writes before its tool calls; the text before it is the reply's content.</summary>
    public const string ToolCallsStart = "\n\n<" + Dsml + "function_calls";

    public const string InvokeOpen = "<" + Dsml + "invoke";
    public const string InvokeClose = "</" + Dsml + "invoke";
    public const string ParameterOpen = "<" + Dsml + "parameter";

    /// <summary>The parser reads a parameter up to this (its value then ends with the closing tag's "&lt;").</summary>
    public const string ParameterCloseWithoutLt = "/" + Dsml + "parameter";

    public const string FunctionResultsOpen = "<function_results>";
    public const string FunctionResultsClose = "</function_results>";

    /// <summary>Strings that may not appear in parsed content or reasoning.</summary>
    public static IReadOnlyList<string> ForbiddenInText { get; } = [Bos, Eos, ThinkStart, ThinkEnd, Dsml];
}
