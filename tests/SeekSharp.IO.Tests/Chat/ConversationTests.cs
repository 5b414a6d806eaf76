using SeekSharp.IO.Chat;

namespace SeekSharp.IO.Tests.Chat;

public class ConversationTests
{
    private static readonly Message[] s_toolLoop =
    [
        Message.System("sys"),
        Message.User("first"),
        Message.Assistant("answer", "old thought"),
        Message.User("second"),
        Message.Assistant(null, "plan", [new ToolCall("f", "{}")]),
        Message.ToolResult("r"),
    ];

    [Fact]
    public void KnowsWhichReasoningIsKept()
    {
        var conversation = new Conversation(s_toolLoop, EncodeOptions.Thinking);
        Assert.Equal(3, conversation.LastUserIndex);
        Assert.False(conversation.KeepsReasoning(2));
        Assert.True(conversation.KeepsReasoning(4));
        var prompt = conversation.Render();
        Assert.DoesNotContain("old thought", prompt);
        Assert.Contains("plan</think>", prompt);
        Assert.True(conversation.IsReadyForGeneration);
        Assert.EndsWith("</function_results>\n\n<think>", prompt);

        var trimmed = conversation.WithoutDroppedReasoning();
        Assert.Null(trimmed.Messages[2].Reasoning);
        Assert.Equal("plan", trimmed.Messages[4].Reasoning);
        Assert.Equal(prompt, trimmed.Render());
    }

    [Fact]
    public void ChatModeKeepsNoReasoning()
    {
        var conversation = new Conversation(s_toolLoop, EncodeOptions.Chat);
        Assert.All(Enumerable.Range(0, s_toolLoop.Length), i => Assert.False(conversation.KeepsReasoning(i)));
        Assert.DoesNotContain("plan", conversation.Render());
    }

    [Fact]
    public void RendersTokensInOneCall()
    {
        var conversation = new Conversation([Message.User("hi")]).Append(Message.Assistant("yo")).Append(Message.User("again"));
        var seen = new List<string>();
        var tokens = conversation.RenderTokens(text =>
        {
            seen.Add(text);
            return [.. text.Select(c => (int)c)];
        });
        Assert.Equal(conversation.Render(), Assert.Single(seen));
        Assert.Equal(conversation.Render().Select(c => (int)c), tokens);
        Assert.True(conversation.IsReadyForGeneration);
        Assert.False(new Conversation([Message.User("q"), Message.Assistant("a")]).IsReadyForGeneration);
        Assert.False(new Conversation([Message.User("q"), Message.Assistant(null, null, [new ToolCall("f", "{}"), new ToolCall("g", "{}")]), Message.ToolResult("1")]).IsReadyForGeneration);
    }

    [Fact]
    public void LastUserInContextIsNegative()
    {
        var options = EncodeOptions.Thinking with { Context = [Message.User("q")] };
        var conversation = new Conversation([Message.Assistant(null, "r", [new ToolCall("f", "{}")])], options);
        Assert.Equal(-1, conversation.LastUserIndex);
        Assert.True(conversation.KeepsReasoning(0));
        Assert.Equal("r</think>\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"f\">\n\n</｜DSML｜invoke>\n</｜DSML｜function_calls><｜end▁of▁sentence｜>", conversation.Render());
    }
}
