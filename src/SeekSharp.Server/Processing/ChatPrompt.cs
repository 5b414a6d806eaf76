using SeekSharp.IO.Chat;
using SeekSharp.IO.Tokenization;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Processing;

/// <summary>The V3.2 prompt of a chat request: text, token ids and the tool-call text the reply is forced to hold.</summary>
/// <param name="ForcedToolCall">For tool_choice required/named, what the engine forces where the reply's call part starts ("" otherwise; see <see cref="Processing.ForcedToolCall"/>).</param>
public sealed record ChatPrompt(string Text, IReadOnlyList<int> Tokens, string ForcedToolCall)
{
    /// <summary>
    /// Attaches the request's tools (unless tool_choice is none) and JSON response format to the first system
    /// message (inserting an empty one, as vLLM and sglang do), renders with <see cref="DeepSeekV32Encoder"/> and
    /// tokenizes. Conversations the encoder rejects are 400s naming the message.
    /// </summary>
    public static ChatPrompt Build(ChatCompletionRequest request, DeepSeekTokenizer tokenizer)
    {
        var messages = AttachSystemFields(request);
        var inserted = messages.Count - request.Messages.Count;
        var conversation = new Conversation(messages, new EncodeOptions { ThinkingMode = request.Thinking });
        string text;
        try
        {
            text = conversation.Render();
        }
        catch (ChatEncodingException e)
        {
            throw ChatErrors.FromEncoding(e, insertedBefore: inserted);
        }
        if (!conversation.IsReadyForGeneration)
            throw ApiException.BadRequest("messages",
                "messages: the last message must be from the user or a developer, or complete the results of the last assistant's tool calls");
        return new ChatPrompt(text, tokenizer.Encode(text), Processing.ForcedToolCall.Text(request.ToolChoice, request.Tools));
    }

    private static List<Message> AttachSystemFields(ChatCompletionRequest request)
    {
        var messages = request.Messages.ToList();
        var tools = request.ToolChoice.Kind == ToolChoiceKind.None ? [] : request.Tools;
        if (tools.Count == 0 && request.ResponseFormat is null) return messages;
        if (messages[0].Role != ChatRole.System) messages.Insert(0, Message.System(""));
        var system = messages[0];
        messages[0] = system with
        {
            Tools = [.. system.Tools, .. tools],
            ResponseFormat = request.ResponseFormat ?? system.ResponseFormat,
        };
        return messages;
    }
}
