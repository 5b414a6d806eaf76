using System.Text.Json;
using Microsoft.Extensions.AI;
using SeekSharp.Agents.Chat;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using ChatRole = Microsoft.Extensions.AI.ChatRole;
using EngineFinishReason = SeekSharp.Engine.FinishReason;

namespace SeekSharp.Agents.Tests;

/// <summary>Parser events → M.E.AI updates, over fixed completions tokenized by the real demo tokenizer, one token at a time.</summary>
public sealed class CompletionUpdateMapperTests(DemoModelFixture demo)
{
    private const string Eos = DsmlTokens.Eos;

    private (List<ChatResponseUpdate> Updates, CompletionUpdateMapper Mapper) Run(string completion, ThinkingMode mode,
        EngineFinishReason reason = EngineFinishReason.Stop, IReadOnlyList<string>? stops = null, bool reportsReasoning = true)
    {
        var mapper = new CompletionUpdateMapper(demo.Tokenizer, mode, stops ?? [], reportsReasoning, "demo");
        var updates = new List<ChatResponseUpdate>();
        var ids = demo.Tokenizer.EncodeToIds(completion);
        foreach (var id in ids)
        {
            if (mapper.PushToken(id) is { } update) updates.Add(update);
            if (mapper.StopRequested) break;
        }
        updates.Add(mapper.Complete(new EngineFinish(reason, 50, 10, ids.Length)));
        return (updates, mapper);
    }

    [Fact]
    public void ThinkingCompletionBecomesReasoningThenTextWithUsage()
    {
        var (updates, mapper) = Run("The user greets me. I greet back.</think>Hello! How are you today?" + Eos, ThinkingMode.Thinking);
        var response = updates.ToChatResponse();

        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.Equal("The user greets me. I greet back.", string.Concat(message.Contents.OfType<TextReasoningContent>().Select(r => r.Text)));
        Assert.Equal("Hello! How are you today?", message.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Null(mapper.ParseProblem);
        Assert.Equal(50, response.Usage!.InputTokenCount);
        Assert.Equal(10, response.Usage.CachedInputTokenCount);
        var reasoningTokens = demo.Tokenizer.EncodeToIds("The user greets me. I greet back.").Length;
        Assert.Equal(reasoningTokens, response.Usage.ReasoningTokenCount);
        Assert.True(updates.Count > 3, "streamed in pieces, not at once");
        Assert.All(updates, u => Assert.Equal(updates[0].ResponseId, u.ResponseId));
    }

    [Fact]
    public void RecordedToolCallBecomesFunctionCallContentWithAnIdAndExactArguments()
    {
        const string arguments = """{"location": "Paris", "days": 2}""";
        var completion = "I need the forecast.</think>Let me check.\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"get_weather\">\n"
            + "<｜DSML｜parameter name=\"location\" string=\"true\">Paris</｜DSML｜parameter>\n"
            + "<｜DSML｜parameter name=\"days\" string=\"false\">2</｜DSML｜parameter>\n"
            + "</｜DSML｜invoke>\n</｜DSML｜function_calls>" + Eos;
        var (updates, _) = Run(completion, ThinkingMode.Thinking);
        var response = updates.ToChatResponse();

        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var message = Assert.Single(response.Messages);
        Assert.Equal("Let me check.", message.Text);
        var call = Assert.Single(message.Contents.OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.StartsWith("call_", call.CallId);
        Assert.Equal("Paris", ((JsonElement)call.Arguments!["location"]!).GetString());
        Assert.Equal(2, ((JsonElement)call.Arguments["days"]!).GetInt32());
        Assert.Equal(arguments, call.AdditionalProperties![MeaiMapping.ArgumentsJsonProperty]);

        // the message maps back to the same V3.2 assistant turn (reasoning, content, call), ready for the next prompt
        var back = Assert.Single(MeaiMapping.FromChatMessage(message));
        Assert.Equal(Message.Assistant("Let me check.", "I need the forecast.", [new ToolCall("get_weather", arguments, call.CallId)]), back);
    }

    [Fact]
    public void ChatModeHasNoReasoningAndAStopSequenceCutsTheText()
    {
        var (updates, mapper) = Run("Paris is the capital. More text that must not appear." + Eos, ThinkingMode.Chat, stops: [" More"]);
        var response = updates.ToChatResponse();

        Assert.True(mapper.StopRequested);
        Assert.Equal("Paris is the capital.", response.Text);
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>());
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Null(mapper.ParseProblem);
    }

    [Fact]
    public void TruncatedReplyFinishesWithLengthAndSaysWhyItDidNotParse()
    {
        var (updates, mapper) = Run("Still thinking about the", ThinkingMode.Thinking, EngineFinishReason.Length);
        var response = updates.ToChatResponse();

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal("Still thinking about the", string.Concat(response.Messages[0].Contents.OfType<TextReasoningContent>().Select(r => r.Text)));
        Assert.NotNull(mapper.ParseProblem);
        Assert.Equal(mapper.ParseProblem, updates[^1].AdditionalProperties![CompletionUpdateMapper.ParseProblemProperty]);
        Assert.Equal(mapper.ParseProblem, response.Messages[0].AdditionalProperties?[CompletionUpdateMapper.ParseProblemProperty]);   // survives ToChatResponse
    }

    [Fact]
    public void EngineThatReportsStopWithoutTheEosTokenStillEndsTheReplyCleanly()
    {
        var (updates, mapper) = Run("Short answer.", ThinkingMode.Chat, EngineFinishReason.Stop);
        Assert.Equal("Short answer.", updates.ToChatResponse().Text);
        Assert.Null(mapper.ParseProblem);
    }

    [Fact]
    public void ReasoningOutputNoneHidesTheReasoningButKeepsTheAnswer()
    {
        var (updates, _) = Run("secret plan</think>Done." + Eos, ThinkingMode.Thinking, reportsReasoning: false);
        var response = updates.ToChatResponse();
        Assert.Equal("Done.", response.Text);
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>());
    }

    [Fact]
    public void GibberishWithSpecialTokensIsPassedOnAsTextWithAProblem()
    {
        // what an untrained model writes: markers in odd places must not throw
        var (updates, mapper) = Run("ab<｜User｜>cd</think>ef<think>gh" + Eos, ThinkingMode.Chat);
        var response = updates.ToChatResponse();
        Assert.Equal("ab<｜User｜>cd</think>ef<think>gh", response.Text);
        Assert.NotNull(mapper.ParseProblem);
    }

    [Fact]
    public void IdsPastTheTokenizerAreSkippedNotFatal()
    {
        // a real checkpoint pads its embedding past the tokenizer's last id; sampling one must not end the stream
        var mapper = new CompletionUpdateMapper(demo.Tokenizer, ThinkingMode.Chat, [], true, "demo");
        var ids = demo.Tokenizer.EncodeToIds("Hi" + Eos);
        Assert.NotNull(mapper.PushToken(ids[0]));
        Assert.Null(mapper.PushToken(demo.Tokenizer.VocabSize + 5));
        foreach (var id in ids.Skip(1)) mapper.PushToken(id);
        var last = mapper.Complete(new EngineFinish(EngineFinishReason.Stop, 3, 0, ids.Length + 1));
        Assert.Equal(ChatFinishReason.Stop, last.FinishReason);
        Assert.Equal("Hi" + Eos, mapper.CompletionText);
    }
}
