using System.Text.Json;
using Microsoft.Extensions.AI;
using SeekSharp.Agents.Chat;
using SeekSharp.IO.Chat;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace SeekSharp.Agents.Tests;

/// <summary>ChatMessages + ChatOptions → the V3.2 prompt and the engine request.</summary>
public sealed class ChatRequestBuilderTests(DemoModelFixture demo)
{
    private static readonly AIFunction s_weather = AIFunctionFactory.Create((string location) => "sunny", "get_weather", "Weather for a city");
    private static readonly AIFunction s_time = AIFunctionFactory.Create(() => "10:30", "get_time", "The current time");

    private SeekSharpChatClient Client(SeekSharpChatClientOptions? options = null) =>
        new(new RecordedCompletionEngine(demo.Tokenizer), demo.Tokenizer, options);

    private static List<ChatMessage> Ask(string text) => [new(ChatRole.User, text)];

    [Fact]
    public void DefaultIsThinkingAndThePromptIsTheV32Encoding()
    {
        var prepared = Client().Prepare(Ask("Hi"));
        Assert.Equal(DsmlTokens.Bos + DsmlTokens.User + "Hi" + DsmlTokens.Assistant + DsmlTokens.ThinkStart, prepared.Prompt);
        Assert.Equal(demo.Tokenizer.EncodeToIds(prepared.Prompt), prepared.Request.PromptTokens);
        Assert.Equal(ThinkingMode.Thinking, prepared.ThinkingMode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData("disabled")]
    [InlineData("chat")]
    public void ThinkingPropertyTurnsThinkingOff(object value)
    {
        var options = new ChatOptions { AdditionalProperties = new() { [ThinkingSelection.ThinkingProperty] = value } };
        Assert.EndsWith(DsmlTokens.Assistant + DsmlTokens.ThinkEnd, Client().Prepare(Ask("Hi"), options).Prompt);
    }

    [Fact]
    public void DeepSeekStyleThinkingObjectAndReasoningEffortAreUnderstood()
    {
        var enabled = new ChatOptions { AdditionalProperties = new() { ["thinking"] = JsonDocument.Parse("""{"type": "enabled"}""").RootElement } };
        var chatClient = Client(new SeekSharpChatClientOptions { DefaultThinkingMode = ThinkingMode.Chat });
        Assert.Equal(ThinkingMode.Thinking, chatClient.Prepare(Ask("Hi"), enabled).ThinkingMode);
        Assert.Equal(ThinkingMode.Chat, Client().Prepare(Ask("Hi"), new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } }).ThinkingMode);
        Assert.Equal(ThinkingMode.Thinking, chatClient.Prepare(Ask("Hi"), new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High } }).ThinkingMode);
        Assert.Throws<ArgumentException>(() => Client().Prepare(Ask("Hi"), new ChatOptions { AdditionalProperties = new() { ["thinking"] = "maybe" } }));
    }

    [Fact]
    public void RequestToolsAndInstructionsGoIntoTheSystemMessage()
    {
        var options = new ChatOptions { Tools = [s_weather, s_time], Instructions = "Be brief." };
        List<ChatMessage> messages = [new(ChatRole.System, "You are helpful."), new(ChatRole.User, "Weather?")];
        var prepared = Client().Prepare(messages, options);

        var system = prepared.Conversation.Messages[0];
        Assert.Equal("You are helpful.\n\nBe brief.", system.Content);
        Assert.Equal(["get_weather", "get_time"], system.Tools.Select(t => t.Name));
        Assert.StartsWith(DsmlTokens.Bos + "You are helpful.\n\nBe brief.\n\n## Tools\n", prepared.Prompt);
        Assert.Contains("{\"name\": \"get_weather\", \"description\": \"Weather for a city\", \"parameters\": ", prepared.Prompt);
    }

    [Fact]
    public void ToolsWithoutASystemMessageGetOneAndToolModeShapesWhatIsOffered()
    {
        var auto = Client().Prepare(Ask("Weather?"), new ChatOptions { Tools = [s_weather, s_time] });
        Assert.Equal(IO.Chat.ChatRole.System, auto.Conversation.Messages[0].Role);
        Assert.StartsWith(DsmlTokens.Bos + "\n\n## Tools", auto.Prompt);

        var none = Client().Prepare(Ask("Weather?"), new ChatOptions { Tools = [s_weather], ToolMode = ChatToolMode.None });
        Assert.DoesNotContain("## Tools", none.Prompt);

        var specific = Client().Prepare(Ask("Weather?"), new ChatOptions { Tools = [s_weather, s_time], ToolMode = ChatToolMode.RequireSpecific("get_time") });
        Assert.Contains("\"name\": \"get_time\"", specific.Prompt);
        Assert.DoesNotContain("\"name\": \"get_weather\"", specific.Prompt);

        Assert.Throws<ArgumentException>(() => Client().Prepare(Ask("x"), new ChatOptions { Tools = [s_weather], ToolMode = ChatToolMode.RequireSpecific("nope") }));
    }

    [Fact]
    public void SamplingOptionsMapOntoTheEngineRequest()
    {
        var options = new ChatOptions { Temperature = 0.7f, TopP = 0.9f, TopK = 40, Seed = 1234, MaxOutputTokens = 17, StopSequences = ["\n\n", ""] };
        var prepared = Client().Prepare(Ask("Hi"), options);
        Assert.Equal((0.7f, 0.9f, 40, (int?)1234, 17), (prepared.Request.Temperature, prepared.Request.TopP, prepared.Request.TopK, prepared.Request.Seed, prepared.Request.MaxNewTokens));
        Assert.Equal(["\n\n"], prepared.StopSequences);

        var defaults = Client(new SeekSharpChatClientOptions { DefaultMaxOutputTokens = 100_000 }).Prepare(Ask("Hi"));
        Assert.Equal(4096 - defaults.Request.PromptTokens.Count, defaults.Request.MaxNewTokens);   // capped by the context left
        Assert.Equal(0f, defaults.Request.Temperature);
    }

    [Fact]
    public void AConversationThatDoesNotAwaitTheModelIsRefused()
    {
        List<ChatMessage> messages = [new(ChatRole.User, "Hi"), new(ChatRole.Assistant, "Hello")];
        Assert.Throws<ArgumentException>(() => Client().Prepare(messages));
    }
}
