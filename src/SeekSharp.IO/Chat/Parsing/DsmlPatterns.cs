namespace SeekSharp.IO.Chat.Parsing;

/// <summary>
/// The two regular expressions of the reference parser, as code with the same semantics (Python <c>re</c>,
/// DOTALL, <c>$</c> matching at the end or before a final newline, <c>\s</c> = Python's whitespace).
/// </summary>
internal static class DsmlPatterns
{
    private const string NamePrefix = "name=\"";
    private const string NameSuffix = "\">\n";
    private const string ParameterPrefix = " name=\"";
    private const string StringAttribute = "\" string=\"";

    /// <summary><c>^\s*name="(.*?)"&gt;\n$</c> on the text between <c>&lt;｜DSML｜invoke</c> and the next tag.</summary>
    public static bool TryMatchInvokeName(string text, out string name)
    {
        name = "";
        var start = 0;
        while (start < text.Length && IsPythonWhitespace(text[start])) start++;
        if (!text.AsSpan(start).StartsWith(NamePrefix, StringComparison.Ordinal)) return false;
        start += NamePrefix.Length;

        // `">\n` must end the text, or be followed by just the newline `$` may stand before
        int end;
        if (text.EndsWith(NameSuffix, StringComparison.Ordinal)) end = text.Length - NameSuffix.Length;
        else if (text.EndsWith(NameSuffix + "\n", StringComparison.Ordinal)) end = text.Length - NameSuffix.Length - 1;
        else return false;
        if (end < start) return false;
        name = text[start..end];
        return true;
    }

    /// <summary>
    /// <c>^ name="(.*?)" string="(true|false)"&gt;(.*?)&lt;$</c> on the text between <c>&lt;｜DSML｜parameter</c>
    /// and <c>/｜DSML｜parameter</c>. The name is the shortest that lets the rest match.
    /// </summary>
    public static bool TryMatchParameter(string text, out string name, out bool isString, out string value)
    {
        name = value = "";
        isString = false;
        if (!text.StartsWith(ParameterPrefix, StringComparison.Ordinal)) return false;

        int valueEnd;
        if (text.EndsWith('<')) valueEnd = text.Length - 1;
        else if (text.EndsWith("<\n", StringComparison.Ordinal)) valueEnd = text.Length - 2;
        else return false;

        var from = ParameterPrefix.Length;
        while (true)
        {
            var at = text.IndexOf(StringAttribute, from, StringComparison.Ordinal);
            if (at < 0) return false;
            var attribute = at + StringAttribute.Length;
            foreach (var (literal, flag) in s_stringFlags)
            {
                var valueStart = attribute + literal.Length;
                if (valueStart <= valueEnd && text.AsSpan(attribute).StartsWith(literal, StringComparison.Ordinal))
                {
                    name = text[ParameterPrefix.Length..at];
                    isString = flag;
                    value = text[valueStart..valueEnd];
                    return true;
                }
            }
            from = at + 1;
        }
    }

    private static readonly (string Literal, bool IsString)[] s_stringFlags = [("true\">", true), ("false\">", false)];

    /// <summary>
    /// The text may still become a match once more arrives: false only when no continuation can match.
    /// Used by the streaming parser to give up early on an invoke's name line.
    /// </summary>
    public static bool CanStillMatchInvokeName(string text)
    {
        var i = 0;
        while (i < text.Length && IsPythonWhitespace(text[i])) i++;
        for (var k = 0; k < NamePrefix.Length && i + k < text.Length; k++)
            if (text[i + k] != NamePrefix[k]) return false;
        return true;
    }

    /// <summary>Same as <see cref="CanStillMatchInvokeName"/> for a parameter's header.</summary>
    public static bool CanStillMatchParameter(string text)
    {
        for (var k = 0; k < ParameterPrefix.Length && k < text.Length; k++)
            if (text[k] != ParameterPrefix[k]) return false;
        return true;
    }

    /// <summary>Python's <c>str.isspace</c> set, which is what <c>\s</c> matches in a str pattern.</summary>
    public static bool IsPythonWhitespace(char c) =>
        c is (>= '\t' and <= '\r') or (>= '\u001C' and <= ' ') or '\u0085' or '\u00A0' or '\u1680'
            or (>= '\u2000' and <= '\u200A') or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000';
}
