using Microsoft.Extensions.AI;
using SeekSharp.Agents.Chat;
using SeekSharp.Agents.Loop;
using SeekSharp.Agents.Mcp;
using SeekSharp.Agents.Tools;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace SeekSharp.Agents.Tests;

/// <summary>
/// The chat client on the real engine and the real (untrained) demo model: whatever the model writes, the client
/// must report exactly the engine's tokens as text, finish and usage; streaming and non-streaming must agree.
/// </summary>
public sealed class EngineChatClientTests(DemoEngineFixture fixture) : IClassFixture<DemoEngineFixture>
{
    private const string Eos = DsmlTokens.Eos;
    private static readonly List<ChatMessage> s_hello = [new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, "Hello! How are you today?")];

    private SeekSharpChatClient Client(ThinkingMode mode = ThinkingMode.Chat) =>
        new(fixture.Engine, fixture.Demo.Tokenizer, new SeekSharpChatClientOptions { ModelId = "demo", DefaultThinkingMode = mode });

    private static ChatOptions Greedy(int tokens = 24) => new() { Temperature = 0, MaxOutputTokens = tokens };

    /// <summary>The engine's own greedy tokens for the same prompt, decoded.</summary>
    private async Task<(string Text, int Tokens, EngineFinish Finish)> EngineDirect(PreparedChatRequest prepared)
    {
        var ids = new List<int>();
        EngineFinish? finish = null;
        await foreach (var output in fixture.Engine.GenerateAsync(prepared.Request, TestContext.Current.CancellationToken))
        {
            if (output.TokenId >= 0) ids.Add(output.TokenId);
            finish ??= output.Finish;
        }
        return (fixture.Demo.Tokenizer.Decode(ids), ids.Count, finish!);
    }

    [Fact]
    public async Task NonStreamingReplyIsTheEnginesTokensAsTextWithUsage()
    {
        var client = Client();
        var prepared = client.Prepare(s_hello, Greedy());
        var direct = await EngineDirect(prepared);

        var response = await client.GetResponseAsync(s_hello, Greedy(), TestContext.Current.CancellationToken);

        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.Equal(direct.Text.Replace(Eos, ""), response.Text);                  // chat mode: all of it is content
        Assert.Equal("demo", response.ModelId);
        Assert.Equal(prepared.Request.PromptTokens.Count, response.Usage!.InputTokenCount);
        Assert.Equal(direct.Tokens, response.Usage.OutputTokenCount);
        Assert.Equal(direct.Finish.Reason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task StreamingAgreesWithNonStreamingAndEndsWithFinishAndUsage()
    {
        var client = Client(ThinkingMode.Thinking);
        var whole = await client.GetResponseAsync(s_hello, Greedy(), TestContext.Current.CancellationToken);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(s_hello, Greedy(), TestContext.Current.CancellationToken)) updates.Add(update);

        Assert.True(updates.Count > 2, $"{updates.Count} updates");
        Assert.NotNull(updates[^1].FinishReason);
        Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        var streamed = updates.ToChatResponse();
        Assert.Equal(whole.Text, streamed.Text);
        static string Reasoning(ChatResponse r) => string.Concat(r.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(c => c.Text));
        Assert.Equal(Reasoning(whole), Reasoning(streamed));
        Assert.NotEmpty(Reasoning(whole) + whole.Text);                              // thinking mode: the reply starts as reasoning
        Assert.Equal(whole.Usage!.OutputTokenCount, streamed.Usage!.OutputTokenCount);
        Assert.True(streamed.Usage.ReasoningTokenCount > 0);
    }

    [Fact]
    public async Task StopSequenceCutsTheRealStreamAndFreesTheRequest()
    {
        var client = Client();
        var full = await client.GetResponseAsync(s_hello, Greedy(32), TestContext.Current.CancellationToken);
        Assert.True(full.Text.Length >= 12, $"reply too short to cut: '{full.Text}'");
        var stop = full.Text.Substring(full.Text.Length / 2, 3);
        var expected = full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)];

        var options = Greedy(32);
        options.StopSequences = [stop];
        var cut = await client.GetResponseAsync(s_hello, options, TestContext.Current.CancellationToken);

        Assert.Equal(expected, cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        Assert.True(cut.Usage!.OutputTokenCount < full.Usage!.OutputTokenCount);
        await WaitUntilIdle();
    }

    [Fact]
    public async Task CancellingAReplyThrowsAndTheEngineLetsTheRequestGo()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Client().GetStreamingResponseAsync(s_hello, Greedy(200), cancel.Token))
                if (++seen == 3) await cancel.CancelAsync();
        });
        Assert.Equal(3, seen);
        await WaitUntilIdle();
    }

    [Fact]
    public async Task ASecondCallWithTheSamePrefixIsServedPartlyFromTheCache()
    {
        var client = Client();
        var options = Greedy(4);
        options.Tools = [AIFunctionFactory.Create((string city) => "sunny", "get_weather", "Weather for a city")];   // a long system prompt
        var first = await client.GetResponseAsync(s_hello, options, TestContext.Current.CancellationToken);
        var second = await client.GetResponseAsync(s_hello, options, TestContext.Current.CancellationToken);

        Assert.True(first.Usage!.InputTokenCount > 2 * EngineOptions.BlockSize, $"{first.Usage.InputTokenCount} prompt tokens");
        Assert.True(second.Usage!.CachedInputTokenCount >= EngineOptions.BlockSize, $"cached {second.Usage.CachedInputTokenCount}");
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public async Task WorksUnderFunctionInvokingChatClientWhenTheModelCallsNoTool()
    {
        // the untrained model does not call tools: the middleware passes the reply through (the tool path itself is
        // tested on recorded completions in FunctionInvocationRoundTripTests)
        var invoked = 0;
        var tool = AIFunctionFactory.Create((string city) => { invoked++; return "sunny"; }, "get_weather", "Weather for a city");
        using var client = fixture.Engine.AsIChatClient(fixture.Demo.Tokenizer, new SeekSharpChatClientOptions { DefaultThinkingMode = ThinkingMode.Chat })
            .AsBuilder().UseFunctionInvocation().Build();
        Assert.NotNull(client.GetService<SeekSharpChatClient>());
        var options = Greedy(16);
        options.Tools = [tool];

        var response = await client.GetResponseAsync(s_hello, options, TestContext.Current.CancellationToken);

        Assert.Equal(0, invoked);
        Assert.NotEqual(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.InputTokenCount > 100, "the tools header was part of the prompt");
    }

    [Fact]
    public async Task AgentLoopWithMcpToolsRunsOneTurnOnTheRealModel()
    {
        await using var server = new InProcessMcpServer();
        await using var source = await McpToolSource.ConnectAsync(server.ClientTransport(), TestContext.Current.CancellationToken);
        var loop = new AgentLoop(Client(ThinkingMode.Thinking), new ToolRegistry().AddRange(source.Functions),
            new AgentLoopOptions { ChatOptions = Greedy(12), SystemPrompt = "Use the tools." });

        var finished = await loop.RunAsync("What is 20 + 22?", TestContext.Current.CancellationToken);

        Assert.Equal((AgentStopReason.Answered, 1), (finished.Reason, finished.ModelCalls));
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant], loop.History.Select(m => m.Role));
        Assert.Equal(12, finished.FinalResponse.Usage!.OutputTokenCount);
    }

    private async Task WaitUntilIdle()
    {
        for (var i = 0; i < 200 && fixture.Engine.GetMetrics().Running > 0; i++) await Task.Delay(10, TestContext.Current.CancellationToken);
        Assert.Equal(0, fixture.Engine.GetMetrics().Running);
    }
}
