#pragma warning disable SCME0001 // JsonPatch (extra request fields such as reasoning_content) is marked experimental
using System.ClientModel;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using SeekSharp.IO.Chat;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>The official OpenAI .NET SDK against the running server (real engine, real model, loopback).</summary>
public sealed class OpenAiSdkChatTests(ServerFixture server)
{
    private ChatClient Client(string model = ServerFixture.ModelName) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = server.Url("v1"), NetworkTimeout = TimeSpan.FromMinutes(5) });

    private int PromptTokens(params Message[] messages) => PromptTokens(EncodeOptions.Chat, messages);

    private int PromptTokens(EncodeOptions options, params Message[] messages) =>
        server.Tokenizer.Encode(DeepSeekV32Encoder.Encode(messages, options)).Count;

    [Fact]
    public async Task Non_streaming_chat_reports_content_finish_reason_and_usage()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8, Temperature = 0 };

        ChatCompletion completion = await Client().CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Hello!")], options, TestContext.Current.CancellationToken);

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Contains(completion.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        Assert.Equal(PromptTokens(Message.System("Be brief."), Message.User("Hello!")), completion.Usage.InputTokenCount);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 8);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        Assert.Equal(ServerFixture.ModelName, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_chat_delivers_the_same_greedy_text_as_non_streaming_and_ends_with_usage()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, Temperature = 0 };
        ChatMessage[] messages = [new UserChatMessage("Tell me a story.")];
        ChatCompletion whole = await Client().CompleteChatAsync(messages, options, TestContext.Current.CancellationToken);

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var update in Client().CompleteChatStreamingAsync(messages, options, TestContext.Current.CancellationToken))
        {
            updates++;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.True(updates >= 2, $"{updates} updates");
        Assert.Equal(ContentText(whole), text.ToString());
        Assert.Equal(whole.FinishReason, finish);
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_repeated_long_prompt_reports_cached_tokens_the_second_time()
    {
        var system = new SystemChatMessage(string.Join(' ', Enumerable.Range(0, 150).Select(i => $"rule{i}")));
        ChatMessage[] messages = [system, new UserChatMessage("Which rule matters most?")];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 2, Temperature = 0 };

        ChatCompletion first = await Client().CompleteChatAsync(messages, options, TestContext.Current.CancellationToken);
        ChatCompletion second = await Client().CompleteChatAsync(messages, options, TestContext.Current.CancellationToken);

        Assert.True(first.Usage.InputTokenCount > 128, $"prompt of {first.Usage.InputTokenCount} tokens is shorter than two cache blocks");
        Assert.InRange(second.Usage.InputTokenDetails.CachedTokenCount, 64, second.Usage.InputTokenCount - 1);
    }

    [Fact]
    public async Task Logprobs_come_back_per_token_with_alternatives()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 5, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };

        ChatCompletion completion = await Client().CompleteChatAsync([new UserChatMessage("Hi")], options, TestContext.Current.CancellationToken);

        Assert.Equal(completion.Usage.OutputTokenCount, completion.ContentTokenLogProbabilities.Count);
        foreach (var token in completion.ContentTokenLogProbabilities)
        {
            Assert.True(token.LogProbability <= 0);
            Assert.Equal(3, token.TopLogProbabilities.Count);
            // greedy: the chosen token is the most likely one
            Assert.Equal(token.TopLogProbabilities[0].LogProbability, token.LogProbability, 4);
        }
    }

    [Fact]
    public async Task Streamed_logprobs_cover_every_generated_token()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 2 };

        var logprobs = new List<ChatTokenLogProbabilityDetails>();
        ChatTokenUsage? usage = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("Hi there")], options, TestContext.Current.CancellationToken))
        {
            logprobs.AddRange(update.ContentTokenLogProbabilities);
            usage ??= update.Usage;
        }

        Assert.NotNull(usage);
        Assert.Equal(usage.OutputTokenCount, logprobs.Count);
        Assert.All(logprobs, lp => Assert.Equal(2, lp.TopLogProbabilities.Count));
    }

    [Fact]
    public async Task Tool_round_trip_with_reasoning_echoed_back_renders_the_current_tool_loop()
    {
        var tool = ChatTool.CreateFunctionTool("get_weather", "Current weather of a city",
            BinaryData.FromString("""{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}"""));
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0, Tools = { tool } };
        options.Patch.Set("$.thinking"u8, BinaryData.FromString("""{"type": "enabled"}"""));
        var user = new UserChatMessage("Weather in Paris?");

        // turn 1: the model sees the tools and thinks
        ChatCompletion first = await Client().CompleteChatAsync([user], options, TestContext.Current.CancellationToken);
        Assert.Contains(first.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length, ChatFinishReason.ToolCalls });

        // turn 2: the assistant's call goes back with its reasoning, then the tool's result
        var call = ChatToolCall.CreateFunctionToolCall("call_1", "get_weather", BinaryData.FromString("""{"city": "Paris"}"""));
        var assistant = new AssistantChatMessage([call]);
        assistant.Patch.Set("$.reasoning_content"u8, "The user wants the weather; I will call the tool.");
        ChatCompletion second = await Client().CompleteChatAsync(
            [user, assistant, new ToolChatMessage("call_1", "sunny, 21 C")], options, TestContext.Current.CancellationToken);

        var toolDefinition = ToolDefinition.FromJson(
            """{"name": "get_weather", "description": "Current weather of a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}""");
        var expected = PromptTokens(EncodeOptions.Thinking,
            Message.System("", [toolDefinition]),
            Message.User("Weather in Paris?"),
            Message.Assistant(null, "The user wants the weather; I will call the tool.", [new ToolCall("get_weather", """{"city": "Paris"}""", "call_1")]),
            Message.ToolResult("sunny, 21 C", "call_1"));
        Assert.Equal(expected, second.Usage.InputTokenCount);
        Assert.True(second.Usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task Unknown_model_is_a_404_and_an_alias_is_accepted()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 2, Temperature = 0 };

        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            Client("no-such-model").CompleteChatAsync([new UserChatMessage("Hi")], options, TestContext.Current.CancellationToken));
        ChatCompletion aliased = await Client("deepseek-chat").CompleteChatAsync([new UserChatMessage("Hi")], options, TestContext.Current.CancellationToken);

        Assert.Equal(404, error.Status);
        Assert.Equal("deepseek-chat", aliased.Model);
    }

    private static string ContentText(ChatCompletion completion) => string.Concat(completion.Content.Select(p => p.Text));
}
