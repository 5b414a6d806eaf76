using Microsoft.Extensions.AI;
using SeekSharp.Agents.Chat;
using SeekSharp.IO.Chat;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace SeekSharp.Agents.Tests;

/// <summary>
/// The tool path under M.E.AI's FunctionInvokingChatClient, with completions recorded as text (an untrained model
/// never calls a tool): the real client parses the call, the middleware runs the function, and the next prompt must
/// be the V3.2 encoding with the loop's reasoning kept and the result appended.
/// </summary>
public sealed class FunctionInvocationRoundTripTests(DemoModelFixture demo)
{
    private readonly List<(string Location, int Days)> _calls = [];

    private AIFunction Weather() => AIFunctionFactory.Create((string location, int days) =>
    {
        _calls.Add((location, days));
        return $"{location}: sunny for {days} days";
    }, "get_weather", "Weather forecast for a city");

    [Fact]
    public async Task NonStreamingRoundTripRunsTheToolAndKeepsTheLoopsReasoningInThePrompt()
    {
        var engine = new RecordedCompletionEngine(demo.Tokenizer,
            RecordedCompletions.CallWeather(), RecordedCompletions.Answer("The tool says sunny.", "Sunny in Paris for two days."));
        using var client = new ChatClientBuilder(new SeekSharpChatClient(engine, demo.Tokenizer)).UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [Weather()] },
            TestContext.Current.CancellationToken);

        Assert.Equal("Sunny in Paris for two days.", response.Messages[^1].Text);
        Assert.Equal("Let me check.", response.Messages[0].Text);
        Assert.Equal([("Paris", 2)], _calls);
        var prompts = engine.Prompts.ToList();
        Assert.Equal(2, prompts.Count);
        // prompt 2 = prompt 1 + the assistant's whole tool-call turn (reasoning kept: we are inside the loop) + the result
        Assert.Equal(prompts[0] + RecordedCompletions.CallWeather() + RecordedCompletions.ResultsBlock("Paris: sunny for 2 days"), prompts[1]);

        // the response carries the whole exchange with the reasoning of both steps, as M.E.AI content types
        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        Assert.Single(contents.OfType<FunctionCallContent>());
        Assert.Single(contents.OfType<FunctionResultContent>());
        Assert.Equal(2, response.Messages.Count(m => m.Contents.OfType<TextReasoningContent>().Any()));
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task StreamingRoundTripYieldsCallResultAndAnswer()
    {
        var engine = new RecordedCompletionEngine(demo.Tokenizer,
            RecordedCompletions.CallWeather(), RecordedCompletions.Answer("Sunny.", "Take sunglasses."));
        using var client = new ChatClientBuilder(new SeekSharpChatClient(engine, demo.Tokenizer)).UseFunctionInvocation().Build();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Weather?")],
                           new ChatOptions { Tools = [Weather()] }, TestContext.Current.CancellationToken))
            updates.Add(update);

        var contents = updates.SelectMany(u => u.Contents).ToList();
        Assert.Single(contents.OfType<FunctionCallContent>());
        Assert.Single(contents.OfType<FunctionResultContent>());
        Assert.Equal("Take sunglasses.", string.Concat(updates.Where(u => u.FinishReason is null || u.Contents.OfType<TextContent>().Any())
            .SkipWhile(u => !u.Contents.OfType<FunctionResultContent>().Any()).Select(u => u.Text)));
        Assert.Equal(2, engine.Requests.Count);
        Assert.EndsWith(RecordedCompletions.ResultsBlock("Paris: sunny for 2 days"), engine.Prompts.Last());
    }

    [Fact]
    public async Task ReasoningOfAnEarlierUserTurnIsDroppedFromTheNextPrompt()
    {
        var engine = new RecordedCompletionEngine(demo.Tokenizer,
            RecordedCompletions.CallWeather("SECRET-PLAN"), RecordedCompletions.Answer("SECRET-REVIEW", "Sunny."),
            RecordedCompletions.Answer("Polite reply.", "You are welcome."));
        using var client = new ChatClientBuilder(new SeekSharpChatClient(engine, demo.Tokenizer)).UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [Weather()] };
        List<ChatMessage> history = [new(ChatRole.User, "Weather?")];

        var first = await client.GetResponseAsync(history, options, TestContext.Current.CancellationToken);
        history.AddRange(first.Messages);   // the messages still carry their TextReasoningContent
        history.Add(new ChatMessage(ChatRole.User, "Thanks!"));
        var second = await client.GetResponseAsync(history, options, TestContext.Current.CancellationToken);

        Assert.Equal("You are welcome.", second.Messages[^1].Text);
        var last = engine.Prompts.Last();
        Assert.DoesNotContain("SECRET", last);               // the earlier turn's reasoning is dropped ...
        Assert.Contains("Let me check.", last);               // ... its content, call and result stay
        Assert.Contains("<result>Paris: sunny for 2 days</result>", last);
        Assert.EndsWith(DsmlTokens.User + "Thanks!" + DsmlTokens.Assistant + DsmlTokens.ThinkStart, last);
    }
}
