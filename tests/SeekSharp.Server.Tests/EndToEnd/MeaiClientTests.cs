using System.ClientModel;
using System.Text;
using Microsoft.Extensions.AI;
using OpenAI;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>Microsoft.Extensions.AI's OpenAI IChatClient against the running server.</summary>
public sealed class MeaiClientTests(ServerFixture server)
{
    private IChatClient Client() =>
        new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = server.Url("v1") })
            .GetChatClient(ServerFixture.ModelName)
            .AsIChatClient();

    [Fact]
    public async Task Response_and_streaming_response_agree_and_carry_usage()
    {
        using var client = Client();
        var options = new ChatOptions { MaxOutputTokens = 10, Temperature = 0 };
        List<ChatMessage> messages = [new(ChatRole.System, "You are terse."), new(ChatRole.User, "Count to three.")];

        var response = await client.GetResponseAsync(messages, options, TestContext.Current.CancellationToken);
        var streamed = new StringBuilder();
        UsageDetails? usage = null;
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, TestContext.Current.CancellationToken))
        {
            streamed.Append(update.Text);
            usage ??= update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
        }

        Assert.Equal(response.Text, streamed.ToString());
        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.InputTokenCount > 0);
        Assert.InRange(response.Usage.OutputTokenCount ?? 0, 1, 10);
        Assert.NotNull(usage);
        Assert.Equal(response.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Contains(response.FinishReason, new ChatFinishReason?[] { ChatFinishReason.Stop, ChatFinishReason.Length });
    }

    [Fact]
    public async Task Function_results_sent_back_are_accepted()
    {
        using var client = Client();
        var weather = AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather", "Weather of a city");
        var options = new ChatOptions { MaxOutputTokens = 6, Temperature = 0, Tools = [weather] };
        List<ChatMessage> messages =
        [
            new(ChatRole.User, "Weather in Oslo?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_9", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_9", "sunny in Oslo")]),
        ];

        var response = await client.GetResponseAsync(messages, options, TestContext.Current.CancellationToken);

        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.OutputTokenCount > 0);
    }
}
