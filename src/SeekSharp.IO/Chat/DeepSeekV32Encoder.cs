using System.Text;

namespace SeekSharp.IO.Chat;

/// <summary>
/// The DeepSeek-V3.2 conversation encoder (<c>encode_messages</c> of DeepSeek's <c>encoding_dsv32.py</c>):
/// messages to the exact prompt text, including its quirks. Inputs the reference rejects throw
/// <see cref="ChatEncodingException"/>.
/// </summary>
public static class DeepSeekV32Encoder
{
    private const string DeveloperLabel = "\n\n# The user's message is: ";

    public static string Encode(IReadOnlyList<Message> messages, EncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(options);
        var context = options.Context;
        var all = new List<Message>(context.Count + messages.Count);
        all.AddRange(context);
        all.AddRange(messages);
        var lastUser = FindLastUserIndex(all);

        if (options.ThinkingMode == ThinkingMode.Thinking && options.DropThinking && messages.Count > 0)
            RejectDeveloperBeforeLastUser(all, lastUser, context.Count);

        var prompt = new StringBuilder();
        if (options.AddDefaultBosToken && context.Count == 0) prompt.Append(DsmlTokens.Bos);
        for (var index = context.Count; index < all.Count; index++)
        {
            try
            {
                RenderMessage(prompt, all, index, lastUser, options.ThinkingMode, context.Count);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json refuses strings it cannot decode (e.g. a lone surrogate escape)
                throw new ChatEncodingException($"{Describe(index, context.Count)}: invalid JSON text ({e.Message})", e);
            }
        }
        return prompt.ToString();
    }

    /// <summary>Index of the last user or developer message, -1 when there is none.</summary>
    public static int FindLastUserIndex(IReadOnlyList<Message> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
            if (messages[i].Role is ChatRole.User or ChatRole.Developer) return i;
        return -1;
    }

    /// <summary>
    /// True when the reasoning of the assistant message at <paramref name="index"/> (over context + messages)
    /// is rendered: thinking mode and after the last user/developer message, i.e. inside the current tool loop.
    /// </summary>
    public static bool RendersReasoning(ThinkingMode mode, int index, int lastUserIndex) =>
        mode == ThinkingMode.Thinking && index > lastUserIndex;

    // With drop_thinking the reference filters developer messages before the last user out of the list and
    // then indexes past its end: any such input fails there.
    private static void RejectDeveloperBeforeLastUser(List<Message> all, int lastUser, int contextCount)
    {
        for (var i = 0; i < lastUser; i++)
        {
            if (all[i].Role == ChatRole.Developer)
                throw new ChatEncodingException(
                    $"{Describe(i, contextCount)}: a developer message before the last user message is not supported in thinking mode with drop_thinking " +
                    "(the reference drops it and fails); pass drop_thinking=false or make it the last user turn");
        }
    }

    private static void RenderMessage(StringBuilder prompt, List<Message> all, int index, int lastUser, ThinkingMode mode, int contextCount)
    {
        var message = all[index];
        switch (message.Role)
        {
            case ChatRole.System:
                prompt.Append(message.Content ?? "");
                AppendToolsAndResponseFormat(prompt, message);
                break;

            case ChatRole.Developer:
                if (string.IsNullOrEmpty(message.Content))
                    throw new ChatEncodingException($"{Describe(index, contextCount)}: a developer message needs non-empty content");
                prompt.Append(DsmlTokens.User);
                AppendToolsAndResponseFormat(prompt, message);
                prompt.Append(DeveloperLabel).Append(message.Content).Append(DsmlTokens.Assistant);
                prompt.Append(ThinkMarker(mode, index == lastUser));
                break;

            case ChatRole.User:
                // the reference formats a missing content with Python's str(None)
                prompt.Append(DsmlTokens.User).Append(message.Content ?? "None").Append(DsmlTokens.Assistant);
                prompt.Append(ThinkMarker(mode, index == lastUser));
                break;

            case ChatRole.Assistant:
                RenderAssistant(prompt, message, index, lastUser, mode, contextCount);
                break;

            case ChatRole.Tool:
                RenderToolResult(prompt, all, index, lastUser, mode, contextCount);
                break;

            default:
                throw new ChatEncodingException($"{Describe(index, contextCount)}: unknown role {message.Role}");
        }
    }

    private static void AppendToolsAndResponseFormat(StringBuilder prompt, Message message)
    {
        if (message.Tools.Count > 0)
            prompt.Append("\n\n").Append(ToolsPromptTemplate.Render(message.Tools));
        if (message.ResponseFormat is { } format && PythonJson.IsTruthy(format))
            prompt.Append("\n\n").Append(ToolsPromptTemplate.RenderResponseFormat(format));
    }

    private static void RenderAssistant(StringBuilder prompt, Message message, int index, int lastUser, ThinkingMode mode, int contextCount)
    {
        if (RendersReasoning(mode, index, lastUser))
        {
            if (string.IsNullOrEmpty(message.Reasoning) && message.ToolCalls.Count == 0)
                throw new ChatEncodingException(
                    $"{Describe(index, contextCount)}: in thinking mode an assistant message after the last user message needs reasoning or tool calls");
            prompt.Append(message.Reasoning ?? "").Append(DsmlTokens.ThinkEnd);
        }
        prompt.Append(message.Content ?? "");
        if (message.ToolCalls.Count > 0)
        {
            try
            {
                DsmlToolCallRenderer.RenderBlock(prompt, message.ToolCalls);
            }
            catch (ChatEncodingException e)
            {
                throw new ChatEncodingException($"{Describe(index, contextCount)}: {e.Message}", e);
            }
        }
        prompt.Append(DsmlTokens.Eos);
    }

    // Results belong to the nearest assistant before the run of tool messages and are matched by position.
    private static void RenderToolResult(StringBuilder prompt, List<Message> all, int index, int lastUser, ThinkingMode mode, int contextCount)
    {
        var owner = index - 1;
        while (owner >= 0 && all[owner].Role == ChatRole.Tool) owner--;
        if (owner < 0 || all[owner].Role != ChatRole.Assistant)
            throw new ChatEncodingException(
                $"{Describe(index, contextCount)}: a tool result must follow an assistant message with tool calls" +
                (owner < 0 ? "" : $" ({Describe(owner, contextCount)} is a {all[owner].Role.ToWireName()} message)"));

        var position = index - owner;
        var callCount = all[owner].ToolCalls.Count;
        if (callCount < position)
            throw new ChatEncodingException(
                $"{Describe(index, contextCount)}: tool result #{position} but {Describe(owner, contextCount)} made {callCount} tool call(s)");

        if (position == 1) prompt.Append("\n\n").Append(DsmlTokens.FunctionResultsOpen);
        prompt.Append("\n<result>").Append(all[index].Content ?? "None").Append("</result>");
        if (position == callCount)
        {
            prompt.Append('\n').Append(DsmlTokens.FunctionResultsClose).Append("\n\n");
            prompt.Append(ThinkMarker(mode, index >= lastUser));
        }
    }

    private static string ThinkMarker(ThinkingMode mode, bool opensThinking) =>
        mode == ThinkingMode.Thinking && opensThinking ? DsmlTokens.ThinkStart : DsmlTokens.ThinkEnd;

    private static string Describe(int index, int contextCount) =>
        index < contextCount ? $"context[{index}]" : $"messages[{index - contextCount}]";
}
