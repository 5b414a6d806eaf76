using System.Text.Json;
using SeekSharp.IO.Tokenization.Regex;

namespace SeekSharp.IO.Tokenization;

internal sealed partial class TokenizerJsonReader
{
    /// <summary>
    /// Flattens the pre-tokenizer into regex splits. Supported: Sequence, Split (Isolated, not
    /// inverted, Regex or String pattern) and ByteLevel (no prefix space; use_regex adds GPT-2's
    /// split) as the last step.
    /// </summary>
    private void ReadPreTokenizer(JsonElement element, string field, List<CodePointRegex> splits, ref bool sawByteLevel)
    {
        var type = TypeOf(element, field);
        if (sawByteLevel) throw Fail(field, "ByteLevel must be the last pre-tokenizer step");
        switch (type)
        {
            case "Sequence":
                if (!element.TryGetProperty("pretokenizers", out var list) || list.ValueKind != JsonValueKind.Array)
                    throw Fail($"{field}.pretokenizers", "missing or not an array");
                var i = 0;
                foreach (var step in list.EnumerateArray())
                    ReadPreTokenizer(step, $"{field}.pretokenizers[{i++}]", splits, ref sawByteLevel);
                break;
            case "Split":
                splits.Add(ReadSplit(element, field));
                break;
            case "ByteLevel":
                if (Flag(element, "add_prefix_space", false, field))
                    throw Fail($"{field}.add_prefix_space", "add_prefix_space true is not supported");
                if (Flag(element, "use_regex", true, field)) splits.Add(Compile(PreTokenizer.ByteLevelPattern, $"{field}.use_regex"));
                sawByteLevel = true;
                break;
            default:
                throw Fail($"{field}.type", $"unknown pre-tokenizer type '{type}' (supported: Sequence, Split, ByteLevel)");
        }
    }

    private CodePointRegex ReadSplit(JsonElement split, string field)
    {
        var behavior = split.TryGetProperty("behavior", out var b) ? b.GetString() : null;
        if (behavior != "Isolated")
            throw Fail($"{field}.behavior", $"Split behavior '{behavior}' is not supported (only Isolated)");
        if (Flag(split, "invert", false, field))
            throw Fail($"{field}.invert", "inverted splits are not supported");
        if (!split.TryGetProperty("pattern", out var pattern) || pattern.ValueKind != JsonValueKind.Object)
            throw Fail($"{field}.pattern", "missing or not an object");
        if (pattern.TryGetProperty("Regex", out var regex) && regex.ValueKind == JsonValueKind.String)
            return Compile(regex.GetString()!, $"{field}.pattern.Regex");
        if (pattern.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String)
            return Compile(EscapeLiteral(literal.GetString()!), $"{field}.pattern.String");
        throw Fail($"{field}.pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    }

    private CodePointRegex Compile(string pattern, string field)
    {
        try
        {
            return new CodePointRegex(pattern);
        }
        catch (FormatException e)
        {
            throw Fail(field, e.Message, e);
        }
    }

    private static string EscapeLiteral(string text)
    {
        var escaped = new System.Text.StringBuilder(text.Length * 2);
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c < 0x80) escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}
