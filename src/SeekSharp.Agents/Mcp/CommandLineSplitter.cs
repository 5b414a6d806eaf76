using System.Text;

namespace SeekSharp.Agents.Mcp;

/// <summary>
/// Splits a command line the way a POSIX shell splits words, without expansions: whitespace separates words,
/// single quotes keep everything literal, double quotes keep whitespace (backslash escapes <c>"</c> and <c>\</c>
/// inside them), a backslash outside quotes escapes the next character.
/// </summary>
public static class CommandLineSplitter
{
    public static IReadOnlyList<string> Split(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            inWord = true;
            switch (c)
            {
                case '\'':
                    var close = commandLine.IndexOf('\'', i + 1);
                    if (close < 0) throw new FormatException("unclosed single quote in the command line");
                    word.Append(commandLine, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i = ReadDoubleQuoted(commandLine, i + 1, word);
                    break;
                case '\\' when i + 1 < commandLine.Length:
                    word.Append(commandLine[++i]);
                    break;
                default:
                    word.Append(c);
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>The program and its arguments.</summary>
    public static (string Command, IReadOnlyList<string> Arguments) SplitCommand(string commandLine)
    {
        var words = Split(commandLine);
        if (words.Count == 0) throw new FormatException("the command line is empty");
        return (words[0], [.. words.Skip(1)]);
    }

    private static int ReadDoubleQuoted(string text, int start, StringBuilder word)
    {
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"') return i;
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\') c = text[++i];
            word.Append(c);
        }
        throw new FormatException("unclosed double quote in the command line");
    }
}
