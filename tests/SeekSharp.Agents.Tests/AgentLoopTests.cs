using Microsoft.Extensions.AI;
using SeekSharp.Agents.Chat;
using SeekSharp.Agents.Loop;
using SeekSharp.Agents.Tools;
using SeekSharp.IO.Chat;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace SeekSharp.Agents.Tests;

/// <summary>The agent loop over the real client, with completions recorded as text (see <see cref="RecordedCompletionEngine"/>).</summary>
public sealed class AgentLoopTests(DemoModelFixture demo)
{
    private int _weatherCalls;

    private ToolRegistry Tools() => new ToolRegistry()
        .Add(AIFunctionFactory.Create((string location, int days) => { _weatherCalls++; return $"{location}: rain"; }, "get_weather", "Weather"))
        .Add(AIFunctionFactory.Create(string () => throw new InvalidOperationException("disk on fire"), "broken", "Always fails"));

    [Fact]
    public async Task RunsToolsUntilTheModelAnswersAndDropsReasoningAtTheNextUserMessage()
    {
        var engine = new RecordedCompletionEngine(demo.Tokenizer,
            RecordedCompletions.CallWeather("PLAN-1"), RecordedCompletions.Answer("REVIEW-1", "Rain in Paris."),
            RecordedCompletions.Answer("REPLY-2", "Bye."));
        var loop = new AgentLoop(new SeekSharpChatClient(engine, demo.Tokenizer), Tools(), new AgentLoopOptions { SystemPrompt = "Be brief." });

        var events = new List<AgentEvent>();
        await foreach (var e in loop.RunStreamingAsync("Weather in Paris?", TestContext.Current.CancellationToken)) events.Add(e);

        var finished = Assert.IsType<AgentFinished>(events[^1]);
        Assert.Equal((AgentStopReason.Answered, 2, "Rain in Paris."), (finished.Reason, finished.ModelCalls, finished.FinalResponse.Text));
        Assert.Equal(1, _weatherCalls);
        Assert.Equal("get_weather", Assert.Single(events.OfType<ToolCallStarted>()).Call.Name);
        Assert.Equal("Paris: rain", Assert.Single(events.OfType<ToolCallFinished>()).Result.Result?.ToString());
        Assert.Contains(events.OfType<ModelUpdate>(), u => u.Update.Contents.OfType<TextReasoningContent>().Any());
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant], loop.History.Select(m => m.Role));
        Assert.Contains("PLAN-1</think>Let me check.", engine.Prompts.Last());     // inside the loop the model sees its reasoning

        var next = await loop.RunAsync("Thanks, bye", TestContext.Current.CancellationToken);
        Assert.Equal("Bye.", next.FinalResponse.Text);
        var lastPrompt = engine.Prompts.Last();
        Assert.DoesNotContain("PLAN-1", lastPrompt);
        Assert.DoesNotContain("REVIEW-1", lastPrompt);
        Assert.Contains("Rain in Paris.", lastPrompt);
        // the history itself forgot the earlier reasoning, but keeps the new turn's
        Assert.Single(loop.History, m => m.Contents.OfType<TextReasoningContent>().Any());
    }

    [Fact]
    public async Task StopsAtTheTurnLimitWithTheResultsInTheHistory()
    {
        var engine = new RecordedCompletionEngine(demo.Tokenizer, RecordedCompletions.CallWeather(), RecordedCompletions.CallWeather());
        var loop = new AgentLoop(new SeekSharpChatClient(engine, demo.Tokenizer), Tools(), new AgentLoopOptions { MaxTurns = 2 });

        var finished = await loop.RunAsync("Weather?", TestContext.Current.CancellationToken);

        Assert.Equal((AgentStopReason.MaxTurnsReached, 2), (finished.Reason, finished.ModelCalls));
        Assert.Equal(2, _weatherCalls);
        Assert.Equal(ChatRole.Tool, loop.History[^1].Role);
    }

    [Fact]
    public async Task AFailingOrUnknownToolBecomesAnErrorTheModelReads()
    {
        var call = "x</think>\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"broken\">\n\n</｜DSML｜invoke>\n"
            + "<｜DSML｜invoke name=\"missing\">\n\n</｜DSML｜invoke>\n</｜DSML｜function_calls>" + DsmlTokens.Eos;
        var engine = new RecordedCompletionEngine(demo.Tokenizer, call, RecordedCompletions.Answer("ok", "Sorry."));
        var loop = new AgentLoop(new SeekSharpChatClient(engine, demo.Tokenizer), Tools());

        var finished = await loop.RunAsync("Do it", TestContext.Current.CancellationToken);

        Assert.Equal("Sorry.", finished.FinalResponse.Text);
        var prompt = engine.Prompts.Last();
        Assert.Contains("<result>error: broken failed: disk on fire</result>", prompt);
        Assert.Contains("<result>error: there is no tool named 'missing' (available: get_weather, broken)</result>", prompt);
    }
}
