using System.ClientModel;
using System.Text;
using OpenAI;
using OpenAI.Chat;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>Many streams at once through the SDK: all complete, and greedy outputs equal the same requests run one by one.</summary>
public sealed class ConcurrencyTests(ServerFixture server)
{
    private const int Requests = 32;

    [Fact]
    public async Task Thirty_two_concurrent_streams_complete_with_the_sequential_greedy_outputs()
    {
        var client = new ChatClient(ServerFixture.ModelName, new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = server.Url("v1"), NetworkTimeout = TimeSpan.FromMinutes(10) });
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8, Temperature = 0 };
        var prompts = Enumerable.Range(0, Requests).Select(i => $"Request number {i}: say something about {i * 7 % 13}.").ToList();

        async Task<(string Text, ChatFinishReason? Finish)> StreamOne(string prompt)
        {
            var text = new StringBuilder();
            ChatFinishReason? finish = null;
            await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(prompt)], options, TestContext.Current.CancellationToken))
            {
                foreach (var part in update.ContentUpdate) text.Append(part.Text);
                finish ??= update.FinishReason;
            }
            return (text.ToString(), finish);
        }

        var concurrent = await Task.WhenAll(prompts.Select(StreamOne));
        var sequential = new List<(string Text, ChatFinishReason? Finish)>();
        foreach (var prompt in prompts) sequential.Add(await StreamOne(prompt));

        Assert.All(concurrent, r => Assert.NotNull(r.Finish));
        Assert.Equal(sequential, concurrent);
    }
}
