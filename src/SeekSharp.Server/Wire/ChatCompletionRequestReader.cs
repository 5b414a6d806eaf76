using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Wire;

/// <summary>Reads and validates a chat completions body; every problem is a 400 naming its field.</summary>
public static class ChatCompletionRequestReader
{
    public static ChatCompletionRequest Read(JsonElement root, ThinkingMode defaultThinking)
    {
        var body = new RequestObject(root, "");
        var model = body.String("model") ?? throw ApiException.BadRequest("model", "model is required");
        var messagesJson = body.Array("messages") ?? throw ApiException.BadRequest("messages", "messages is required");
        var messages = ReadMessages(messagesJson);
        if (messages.Count == 0) throw ApiException.BadRequest("messages", "messages must contain at least one message");

        var tools = ToolsReader.ReadTools(body);
        var toolChoice = ToolsReader.ReadToolChoice(body, tools);
        var thinking = ReadThinking(body, defaultThinking);

        var logprobs = body.Bool("logprobs") ?? false;
        var topLogprobs = (int)(body.Integer("top_logprobs", 0, GenerationOptionsReader.MaxTopLogprobs) ?? 0);
        if (topLogprobs > 0 && !logprobs) throw ApiException.BadRequest("top_logprobs", "top_logprobs requires logprobs to be true");
        var generation = GenerationOptionsReader.ReadCommon(body, GenerationOptionsReader.ReadMaxTokens(body, alias: "max_completion_tokens"))
            with { Logprobs = logprobs, TopLogprobs = topLogprobs };

        var stream = body.Bool("stream") ?? false;
        var includeUsage = body.Object("stream_options")?.Bool("include_usage") ?? false;
        return new ChatCompletionRequest
        {
            Model = model,
            Messages = messages,
            Tools = tools,
            ToolChoice = toolChoice,
            Thinking = thinking,
            ResponseFormat = ReadResponseFormat(body),
            Stream = stream,
            IncludeUsage = stream && includeUsage,
            Generation = generation,
        };
    }

    private static IReadOnlyList<Message> ReadMessages(JsonElement messages)
    {
        var result = new List<Message>();
        var index = 0;
        foreach (var item in messages.EnumerateArray())
        {
            var path = $"messages[{index++}]";
            try
            {
                result.Add(OpenAiWireMapping.ReadMessage(MessageContent.FlattenTextParts(item, path), path));
            }
            catch (ChatEncodingException e)
            {
                throw ChatErrors.FromEncoding(e, path);
            }
        }
        return result;
    }

    // `thinking: {"type": "enabled"|"disabled"}` (DeepSeek) wins over `chat_template_kwargs.thinking` (vLLM/sglang)
    private static ThinkingMode ReadThinking(RequestObject body, ThinkingMode defaultThinking)
    {
        if (body.Object("thinking") is { } thinking)
        {
            return thinking.String("type") switch
            {
                "enabled" => ThinkingMode.Thinking,
                "disabled" => ThinkingMode.Chat,
                null => throw ApiException.BadRequest("thinking.type", "thinking.type is required (\"enabled\" or \"disabled\")"),
                var other => throw ApiException.BadRequest("thinking.type", $"thinking.type must be \"enabled\" or \"disabled\", got \"{other}\""),
            };
        }
        if (body.Object("chat_template_kwargs") is { } kwargs)
        {
            var flag = kwargs.Bool("thinking") ?? kwargs.Bool("enable_thinking");
            if (flag is { } on) return on ? ThinkingMode.Thinking : ThinkingMode.Chat;
        }
        return defaultThinking;
    }

    private static JsonElement? ReadResponseFormat(RequestObject body)
    {
        var format = body.Object("response_format");
        if (format is null) return null;
        var type = format.String("type") ?? throw ApiException.BadRequest("response_format.type", "response_format.type is required");
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
            case "json_schema":
                body.TryGet("response_format", out var element);
                return element.Clone();
            default:
                throw ApiException.BadRequest("response_format.type", $"response_format.type must be text, json_object or json_schema, got \"{type}\"");
        }
    }
}
