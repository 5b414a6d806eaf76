namespace SeekSharp.IO.Chat.Parsing;

/// <summary>
/// Parses a whole completion (the text generated after the prompt, EOS included) exactly like the reference
/// <c>parse_message_from_completion_text</c>: well-formed output only, nothing repaired. Every rejection throws
/// <see cref="DsmlParseException"/> with the reference's message.
/// </summary>
public static class DsmlCompletionParser
{
    public static ParsedAssistantMessage Parse(string completion, ThinkingMode mode)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var text = completion;
        var index = 0;
        string? stop;
        var reasoning = "";

        if (mode == ThinkingMode.Thinking)
        {
            (index, reasoning, stop) = ReadUntil(text, index, DsmlTokens.ThinkEnd, DsmlTokens.ToolCallsStart);
            if (stop != DsmlTokens.ThinkEnd) throw new DsmlParseException(DsmlParseErrors.InvalidThinkingFormat);
        }

        (index, var content, stop) = ReadUntil(text, index, DsmlTokens.Eos, DsmlTokens.ToolCallsStart);
        var calls = new List<ToolCall>();
        if (stop == DsmlTokens.ToolCallsStart)
        {
            index = ParseToolCalls(text, index, calls);
            (index, var tail, stop) = ReadUntil(text, index, DsmlTokens.Eos);
            if (tail.Length > 0) throw new DsmlParseException(DsmlParseErrors.ContentAfterToolCalls);
        }
        else if (stop != DsmlTokens.Eos)
        {
            throw new DsmlParseException(DsmlParseErrors.InvalidSummaryFormat);
        }

        if (index != text.Length) throw new DsmlParseException(DsmlParseErrors.ContentAtEnd);
        if (ContainsForbiddenToken(content) || ContainsForbiddenToken(reasoning))
            throw new DsmlParseException(DsmlParseErrors.SpecialTokenInContent);
        return new ParsedAssistantMessage(content, reasoning, calls);
    }

    /// <summary>True when BOS, EOS, a think tag or the DSML marker occurs in the text.</summary>
    public static bool ContainsForbiddenToken(string text)
    {
        foreach (var token in DsmlTokens.ForbiddenInText)
            if (text.Contains(token, StringComparison.Ordinal)) return true;
        return false;
    }

    // The reference's parse_tool_calls, step by step; index starts after "\n\n<｜DSML｜function_calls".
    private static int ParseToolCalls(string text, int index, List<ToolCall> calls)
    {
        while (index < text.Length)
        {
            (index, var between, var stop) = ReadUntil(text, index, DsmlTokens.InvokeOpen, DsmlTokens.FunctionCallsClose);
            if (between != ">\n") throw new DsmlParseException(DsmlParseErrors.ToolCallFormat);
            if (stop == DsmlTokens.FunctionCallsClose) break;
            if (stop is null) throw new DsmlParseException(DsmlParseErrors.MissingSpecialToken);

            (index, var nameLine, stop) = ReadUntil(text, index, DsmlTokens.ParameterOpen, DsmlTokens.InvokeClose);
            if (!DsmlPatterns.TryMatchInvokeName(nameLine, out var name))
                throw new DsmlParseException(DsmlParseErrors.ToolNameFormat);

            var parameters = new List<(string Name, string Value, bool IsString)>();
            while (stop == DsmlTokens.ParameterOpen)
            {
                (index, var parameter, _) = ReadUntil(text, index, DsmlTokens.ParameterCloseWithoutLt);
                if (!DsmlPatterns.TryMatchParameter(parameter, out var key, out var isString, out var value))
                    throw new DsmlParseException(DsmlParseErrors.ParameterFormat);
                if (parameters.Exists(p => p.Name == key))
                    throw new DsmlParseException(DsmlParseErrors.DuplicateParameter);
                parameters.Add((key, value, isString));

                (index, var separator, stop) = ReadUntil(text, index, DsmlTokens.ParameterOpen, DsmlTokens.InvokeClose);
                if (separator != ">\n") throw new DsmlParseException(DsmlParseErrors.ParameterFormat);
            }
            calls.Add(new ToolCall(name, DsmlArgumentsJson.Build(parameters)));
        }
        return index;
    }

    /// <summary>
    /// The text from <paramref name="index"/> up to the earliest of <paramref name="stops"/>, the index after that
    /// stop, and which stop it was; without a stop, the rest of the text, its end and null.
    /// </summary>
    internal static (int Index, string Text, string? Stop) ReadUntil(string text, int index, params string[] stops)
    {
        var best = -1;
        string? matched = null;
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, index, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best))
            {
                best = at;
                matched = stop;
            }
        }
        return matched is null
            ? (text.Length, text[index..], null)
            : (best + matched.Length, text[index..best], matched);
    }
}
