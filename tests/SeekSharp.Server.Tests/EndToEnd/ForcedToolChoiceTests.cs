#pragma warning disable SCME0001 // JsonPatch (the thinking field) is marked experimental
using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using SeekSharp.IO.Chat;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>
/// tool_choice required/named through the OpenAI SDK, in chat and thinking mode. The test model is untrained and never
/// closes its reasoning or writes a call by itself: logit_bias makes it sample <c>&lt;/think&gt;</c>, and a named tool
/// without parameters is forced whole (its one valid call), so the call the client sees comes from the forcing alone.
/// </summary>
public sealed class ForcedToolChoiceTests(ServerFixture server)
{
    private static readonly ChatTool s_clock = ChatTool.CreateFunctionTool("get_time", "The current time",
        BinaryData.FromString("""{"type": "object", "properties": {}}"""));

    private static readonly ChatTool s_weather = ChatTool.CreateFunctionTool("get_weather", "Current weather of a city",
        BinaryData.FromString("""{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}"""));

    private ChatClient Client() =>
        new(ServerFixture.ModelName, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = server.Url("v1"), NetworkTimeout = TimeSpan.FromMinutes(5) });

    private ChatCompletionOptions Options(bool thinking, ChatToolChoice choice, int maxTokens)
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = maxTokens, Temperature = 0, Tools = { s_clock, s_weather }, ToolChoice = choice };
        if (thinking) options.Patch.Set("$.thinking"u8, BinaryData.FromString("""{"type": "enabled"}"""));
        return options;
    }

    private int ThinkEnd => server.Tokenizer.TokenToId(DsmlTokens.ThinkEnd)!.Value;

    [Fact]
    public async Task Thinking_mode_reasons_then_the_named_call_is_forced_once_the_reasoning_closes()
    {
        var options = Options(thinking: true, ChatToolChoice.CreateFunctionChoice("get_time"), maxTokens: 40);
        options.LogitBiases[ThinkEnd] = 100;

        ChatCompletion completion = await Client().CompleteChatAsync([new UserChatMessage("What time is it?")], options, TestContext.Current.CancellationToken);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_time", call.FunctionName);
        Assert.Equal("{}", call.FunctionArguments.ToString());
        Assert.Equal(1, completion.Usage.OutputTokenDetails.ReasoningTokenCount);   // the biased </think>
    }

    [Fact]
    public async Task Chat_mode_forces_the_named_call_at_the_start_of_the_reply()
    {
        var options = Options(thinking: false, ChatToolChoice.CreateFunctionChoice("get_time"), maxTokens: 40);

        ChatCompletion completion = await Client().CompleteChatAsync([new UserChatMessage("What time is it?")], options, TestContext.Current.CancellationToken);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal("get_time", Assert.Single(completion.ToolCalls).FunctionName);
        Assert.Empty(completion.Content);
    }

    [Fact]
    public async Task Streaming_in_thinking_mode_delivers_the_forced_call_as_a_tool_call_delta()
    {
        var options = Options(thinking: true, ChatToolChoice.CreateFunctionChoice("get_time"), maxTokens: 40);
        options.LogitBiases[ThinkEnd] = 100;

        var names = new List<string>();
        ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("What time is it?")], options, TestContext.Current.CancellationToken))
        {
            names.AddRange(update.ToolCallUpdates.Where(u => u.FunctionName is not null).Select(u => u.FunctionName));
            finish ??= update.FinishReason;
        }

        Assert.Equal(["get_time"], names);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task Max_tokens_inside_the_reasoning_ends_with_length_and_no_call()
    {
        var options = Options(thinking: true, ChatToolChoice.CreateRequiredChoice(), maxTokens: 5);

        ChatCompletion completion = await Client().CompleteChatAsync([new UserChatMessage("Weather in Paris?")], options, TestContext.Current.CancellationToken);

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Empty(completion.ToolCalls);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_named_tool_with_parameters_gets_its_opening_forced_after_the_reasoning()
    {
        var options = Options(thinking: true, ChatToolChoice.CreateFunctionChoice("get_weather"), maxTokens: 80);
        options.LogitBiases[ThinkEnd] = 100;

        ChatCompletion completion = await Client().CompleteChatAsync([new UserChatMessage("Weather in Paris?")], options, TestContext.Current.CancellationToken);

        // the untrained model cannot finish the call: the block it was given comes back unparsed, as content
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.StartsWith(ForcedOpening("get_weather") + DsmlTokens.ParameterOpen + " name=\"", string.Concat(completion.Content.Select(p => p.Text)), StringComparison.Ordinal);
        Assert.Equal(1, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    private static string ForcedOpening(string name) => DsmlTokens.ToolCallsStart + ">\n" + DsmlTokens.InvokeOpen + $" name=\"{name}\">\n";
}
