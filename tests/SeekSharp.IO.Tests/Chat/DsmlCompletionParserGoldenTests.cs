using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.IO.Chat.Parsing;

namespace SeekSharp.IO.Tests.Chat;

public class DsmlCompletionParserGoldenTests
{
    [Fact]
    public void GoldenFileHasAllCases() => Assert.Equal(33, GoldenEncodingCases.ParseLines.Count);

    [Theory]
    [MemberData(nameof(GoldenEncodingCases.ParseNames), MemberType = typeof(GoldenEncodingCases))]
    public void ReproducesReferenceResultOrError(string name)
    {
        var golden = GoldenEncodingCases.Parse(name);
        var request = PromptCaseJson.ReadParseRequest(GoldenEncodingCases.ParseLines[name]);
        if (golden.TryGetProperty("expected_error", out var error))
        {
            var thrown = Assert.Throws<DsmlParseException>(() => DsmlCompletionParser.Parse(request.Completion, request.ThinkingMode));
            Assert.Equal(error.GetProperty("message").GetString(), thrown.Message);
            return;
        }
        var parsed = DsmlCompletionParser.Parse(request.Completion, request.ThinkingMode);
        AssertMatchesExpected(golden.GetProperty("expected"), parsed);
    }

    [Theory]
    [MemberData(nameof(GoldenEncodingCases.ValidParseNames), MemberType = typeof(GoldenEncodingCases))]
    public void ReferenceJsonHasTheExpectedShape(string name)
    {
        var golden = GoldenEncodingCases.Parse(name);
        var request = PromptCaseJson.ReadParseRequest(GoldenEncodingCases.ParseLines[name]);
        var json = DsmlCompletionParser.Parse(request.Completion, request.ThinkingMode).ToReferenceJson();
        // the golden line was written by json.dumps(ensure_ascii=False) as well, apart from its U+2028-style escapes
        Assert.Equal(PythonJson.Format(golden.GetProperty("expected")), json);
        Assert.True(JsonElement.DeepEquals(golden.GetProperty("expected"), JsonDocument.Parse(json).RootElement));
    }

    // Spec §5.7c: an assistant message rendered by the encoder parses back to the same message.
    [Theory]
    [InlineData("official_hf_test_input")]
    [InlineData("tools_parallel_calls_results_thinking")]
    [InlineData("tool_call_arguments_unicode_and_order")]
    [InlineData("tools_assistant_text_and_calls_thinking")]
    public void EncodedAssistantTurnsParseBack(string name)
    {
        var request = PromptCaseJson.ReadEncodeRequest(GoldenEncodingCases.EncodeLines[name]);
        var all = request.Messages;
        var checkedAny = false;
        for (var i = 0; i < all.Count; i++)
        {
            if (all[i].Role != ChatRole.Assistant) continue;
            var options = request.Options with { Context = [.. all.Take(i)] };
            var conversation = new Conversation([all[i]], options);
            var rendered = conversation.Render();
            if (options.ThinkingMode == ThinkingMode.Thinking && !conversation.KeepsReasoning(0)) continue;
            var parsed = DsmlCompletionParser.Parse(rendered, options.ThinkingMode);
            Assert.Equal(all[i].Content ?? "", parsed.Content);
            Assert.Equal(options.ThinkingMode == ThinkingMode.Thinking ? all[i].Reasoning ?? "" : "", parsed.Reasoning);
            Assert.Equal(all[i].ToolCalls.Select(c => c.Name), parsed.ToolCalls.Select(c => c.Name));
            Assert.Equal(
                all[i].ToolCalls.Select(c => PythonJson.Format(c.ArgumentsJson)),
                parsed.ToolCalls.Select(c => PythonJson.Format(c.ArgumentsJson)));
            checkedAny = true;
        }
        Assert.True(checkedAny);
    }

    [Theory]
    [InlineData("\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"f\">\n<｜DSML｜parameter name=\"a\" string=\"true\">1</｜DSML｜parameter>\n<｜DSML｜parameter name=\"a\" string=\"true\">2</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls><｜end▁of▁sentence｜>", "Duplicate parameter name")]
    [InlineData("\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke nam=\"f\">\n</｜DSML｜invoke>\n</｜DSML｜function_calls>", "Tool name format error")]
    [InlineData("\n\n<｜DSML｜function_calls>\n", "Missing special token")]
    [InlineData("\n\n<｜DSML｜function_calls>", "Tool call format error")]
    [InlineData("hi<｜begin▁of▁sentence｜><｜end▁of▁sentence｜>", "Unexpected special token in content")]
    public void RejectsMalformedOutputWithTheReferenceMessage(string completion, string message) =>
        Assert.Equal(message, Assert.Throws<DsmlParseException>(() => DsmlCompletionParser.Parse(completion, ThinkingMode.Chat)).Message);

    [Theory]
    // the reference's loop ends when the text does: these truncations are accepted
    [InlineData("\n\n<｜DSML｜function_calls", 0)]
    [InlineData("\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"f\">\n</｜DSML｜invoke", 1)]
    [InlineData("\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"f\">\n<｜DSML｜parameter name=\"a\" string=\"false\">1</｜DSML｜parameter>\n", 1)]
    public void AcceptsTheTruncationsTheReferenceAccepts(string completion, int calls) =>
        Assert.Equal(calls, DsmlCompletionParser.Parse(completion, ThinkingMode.Chat).ToolCalls.Count);

    [Fact]
    public void NonStringValuesAreInsertedUnchecked()
    {
        var parsed = DsmlCompletionParser.Parse(
            "\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"f\">\n<｜DSML｜parameter name=\"x\" string=\"false\">not json</｜DSML｜parameter>\n<｜DSML｜parameter name=\"ключ\" string=\"true\">\"q\"\n</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls><｜end▁of▁sentence｜>",
            ThinkingMode.Chat);
        Assert.Equal("{\"x\": not json, \"ключ\": \"\\\"q\\\"\\n\"}", Assert.Single(parsed.ToolCalls).ArgumentsJson);
    }

    internal static void AssertMatchesExpected(JsonElement expected, ParsedAssistantMessage parsed)
    {
        Assert.Equal("assistant", expected.GetProperty("role").GetString());
        Assert.Equal(expected.GetProperty("content").GetString(), parsed.Content);
        Assert.Equal(expected.GetProperty("reasoning_content").GetString(), parsed.Reasoning);
        var calls = expected.GetProperty("tool_calls").EnumerateArray().ToList();
        Assert.Equal(calls.Count, parsed.ToolCalls.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            Assert.Equal("function", calls[i].GetProperty("type").GetString());
            Assert.Equal(calls[i].GetProperty("function").GetProperty("name").GetString(), parsed.ToolCalls[i].Name);
            Assert.Equal(calls[i].GetProperty("function").GetProperty("arguments").GetString(), parsed.ToolCalls[i].ArgumentsJson);
            Assert.Null(parsed.ToolCalls[i].Id);
        }
    }
}
