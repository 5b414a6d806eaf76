using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;

namespace SeekSharp.IO.Tests.Chat;

public class DeepSeekV32EncoderGoldenTests
{
    [Fact]
    public void GoldenFileHasAllCases()
    {
        Assert.Equal(50, GoldenEncodingCases.EncodeLines.Count);
        Assert.Contains(GoldenEncodingCases.EncodeLines.Keys, n => n.StartsWith("error_", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(GoldenEncodingCases.EncodeNames), MemberType = typeof(GoldenEncodingCases))]
    public void ReproducesReferencePromptOrRejects(string name)
    {
        var golden = GoldenEncodingCases.Encode(name);
        if (golden.TryGetProperty("expected_error", out _))
        {
            Assert.StartsWith("error_", name);
            var error = Assert.Throws<ChatEncodingException>(() => EncodeLine(name));
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
            return;
        }
        Assert.Equal(golden.GetProperty("expected_prompt").GetString(), EncodeLine(name));
    }

    [Theory]
    [MemberData(nameof(GoldenEncodingCases.ValidEncodeNames), MemberType = typeof(GoldenEncodingCases))]
    public void ConversationRendersTheSamePrompt(string name)
    {
        var request = PromptCaseJson.ReadEncodeRequest(GoldenEncodingCases.EncodeLines[name]);
        var conversation = new Conversation(request.Messages, request.Options);
        Assert.Equal(GoldenEncodingCases.Encode(name).GetProperty("expected_prompt").GetString(), conversation.Render());
    }

    // README rule 10: encode(C) + encode(M, context: C) == encode(C + M) while no marker changes; here the new
    // messages add no user turn, so last_user stays where it was.
    [Fact]
    public void ContextContinuesThePromptIncrementally()
    {
        var request = PromptCaseJson.ReadEncodeRequest(GoldenEncodingCases.EncodeLines["context_incremental_tool_result_chat"]);
        var context = request.Options.Context;
        var whole = DeepSeekV32Encoder.Encode([.. context, .. request.Messages], request.Options with { Context = [] });
        var prefix = DeepSeekV32Encoder.Encode(context, request.Options with { Context = [] });
        var rest = DeepSeekV32Encoder.Encode(request.Messages, request.Options);
        Assert.Equal(whole, prefix + rest);
        Assert.DoesNotContain(DsmlTokens.Bos, rest);
    }

    [Fact]
    public void OfficialFixtureKeepsOnlyTheCurrentTurnsReasoning()
    {
        var request = PromptCaseJson.ReadEncodeRequest(GoldenEncodingCases.EncodeLines["official_hf_test_input"]);
        var conversation = new Conversation(request.Messages, request.Options);
        var prompt = conversation.Render();
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var reasoning = request.Messages[i].Reasoning;
            if (string.IsNullOrEmpty(reasoning)) continue;
            Assert.Equal(conversation.KeepsReasoning(i), prompt.Contains(reasoning, StringComparison.Ordinal));
        }
        Assert.Contains(Enumerable.Range(0, request.Messages.Count), conversation.KeepsReasoning);
        Assert.Contains(Enumerable.Range(0, request.Messages.Count), i => request.Messages[i].Reasoning is not null && !conversation.KeepsReasoning(i));
    }

    private static string EncodeLine(string name)
    {
        var request = PromptCaseJson.ReadEncodeRequest(GoldenEncodingCases.EncodeLines[name]);
        return DeepSeekV32Encoder.Encode(request.Messages, request.Options);
    }

    internal static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
