using System.Text.Json;
using Microsoft.Extensions.AI;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using ChatRole = SeekSharp.IO.Chat.ChatRole;
using Message = SeekSharp.IO.Chat.Message;

namespace SeekSharp.IO.Tests.Chat;

public class MeaiMappingTests
{
    [Theory]
    [MemberData(nameof(GoldenEncodingCases.ValidEncodeNames), MemberType = typeof(GoldenEncodingCases))]
    public void GoldenConversationsRoundTripWithoutLoss(string name)
    {
        var request = PromptCaseJson.ReadEncodeRequest(GoldenEncodingCases.EncodeLines[name]);
        foreach (var messages in new[] { request.Messages, request.Options.Context })
        {
            var meai = MeaiMapping.ToChatMessages(messages);
            Assert.Equal(messages.Count, meai.Count);
            var back = MeaiMapping.FromChatMessages(meai);
            Assert.Equal(messages, back);
        }
        var roundTripped = MeaiMapping.FromChatMessages(MeaiMapping.ToChatMessages(request.Messages));
        Assert.Equal(
            GoldenEncodingCases.Encode(name).GetProperty("expected_prompt").GetString(),
            DeepSeekV32Encoder.Encode(roundTripped, request.Options));
    }

    [Fact]
    public void AssistantTurnUsesTheStandardContentTypes()
    {
        var message = Message.Assistant("Checking.", "need data", [new ToolCall("get_weather", "{\"location\": \"Paris\", \"days\": 2}", "call_1")]);
        var meai = MeaiMapping.ToChatMessage(message);

        Assert.Equal(Microsoft.Extensions.AI.ChatRole.Assistant, meai.Role);
        Assert.Equal("need data", Assert.IsType<TextReasoningContent>(meai.Contents[0]).Text);
        Assert.Equal("Checking.", Assert.IsType<TextContent>(meai.Contents[1]).Text);
        var call = Assert.IsType<FunctionCallContent>(meai.Contents[2]);
        Assert.Equal("call_1", call.CallId);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal(["location", "days"], call.Arguments!.Keys);
        Assert.Equal("Paris", ((JsonElement)call.Arguments["location"]!).GetString());
        Assert.Equal(2, ((JsonElement)call.Arguments["days"]!).GetInt32());
    }

    [Fact]
    public void ToolResultAndDeveloperRoleMap()
    {
        var result = MeaiMapping.ToChatMessage(Message.ToolResult("{\"temp\": 20}", "call_1"));
        Assert.Equal(Microsoft.Extensions.AI.ChatRole.Tool, result.Role);
        var content = Assert.IsType<FunctionResultContent>(Assert.Single(result.Contents));
        Assert.Equal(("call_1", "{\"temp\": 20}"), (content.CallId, content.Result));

        var developer = MeaiMapping.ToChatMessage(Message.Developer("do it"));
        Assert.Equal("developer", developer.Role.Value);
        Assert.Equal(ChatRole.Developer, Assert.Single(MeaiMapping.FromChatMessage(developer)).Role);
    }

    [Fact]
    public void AgentStyleMessagesMapOntoThePromptFormat()
    {
        // what an M.E.AI function-invoking client builds: arguments as plain .NET values, both results in one tool message
        var arguments = new Dictionary<string, object?> { ["location"] = "Rome", ["days"] = 2, ["hourly"] = true, ["ratio"] = 0.5 };
        var history = new List<Microsoft.Extensions.AI.ChatMessage>
        {
            new(Microsoft.Extensions.AI.ChatRole.User, "Weather?"),
            new(Microsoft.Extensions.AI.ChatRole.Assistant, [new FunctionCallContent("c1", "get_time"), new FunctionCallContent("c2", "get_weather", arguments)]),
            new(Microsoft.Extensions.AI.ChatRole.Tool, [new FunctionResultContent("c1", "12:00"), new FunctionResultContent("c2", new { temp = 20 })]),
        };
        var messages = MeaiMapping.FromChatMessages(history);

        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Tool], messages.Select(m => m.Role));
        Assert.Equal("{}", messages[1].ToolCalls[0].ArgumentsJson);
        Assert.Equal("{\"location\": \"Rome\", \"days\": 2, \"hourly\": true, \"ratio\": 0.5}", messages[1].ToolCalls[1].ArgumentsJson);
        Assert.Equal(("12:00", "c1"), (messages[2].Content, messages[2].ToolCallId));
        Assert.Equal(("{\"temp\":20}", "c2"), (messages[3].Content, messages[3].ToolCallId));

        var prompt = DeepSeekV32Encoder.Encode(messages, EncodeOptions.Chat);
        Assert.EndsWith(
            "<｜DSML｜parameter name=\"days\" string=\"false\">2</｜DSML｜parameter>\n<｜DSML｜parameter name=\"hourly\" string=\"false\">true</｜DSML｜parameter>\n"
            + "<｜DSML｜parameter name=\"ratio\" string=\"false\">0.5</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls><｜end▁of▁sentence｜>"
            + "\n\n<function_results>\n<result>12:00</result>\n<result>{\"temp\":20}</result>\n</function_results>\n\n</think>",
            prompt);
    }

    [Fact]
    public void EditedArgumentsWinOverTheOriginalText()
    {
        var original = new ToolCall("f", "{\"a\":1.50,\"b\":\"x\"}", "id");
        var meai = MeaiMapping.ToChatMessage(Message.Assistant(null, toolCalls: [original]));
        var call = (FunctionCallContent)meai.Contents.Single();
        Assert.Equal(original, Assert.Single(MeaiMapping.FromChatMessage(meai)).ToolCalls.Single());

        call.Arguments!["b"] = "y";
        Assert.Equal("{\"a\": 1.5, \"b\": \"y\"}", Assert.Single(MeaiMapping.FromChatMessage(meai)).ToolCalls.Single().ArgumentsJson);
    }

    [Fact]
    public void ArgumentsThatAreNotAnObjectSurviveAsText()
    {
        var broken = new ToolCall("f", "{\"x\": not json}");
        var meai = MeaiMapping.ToChatMessage(Message.Assistant("", toolCalls: [broken]));
        Assert.Null(((FunctionCallContent)meai.Contents[1]).Arguments);
        Assert.Equal(broken, Assert.Single(MeaiMapping.FromChatMessage(meai)).ToolCalls.Single());
    }

    [Fact]
    public void RequestLevelToolsAndResponseFormatConvert()
    {
        var schema = JsonDocument.Parse("{\"type\": \"object\", \"properties\": {\"q\": {\"type\": \"string\"}}, \"required\": [\"q\"]}").RootElement;
        var declaration = AIFunctionFactory.CreateDeclaration("search", "Search the web.", schema);
        var tool = Assert.Single(MeaiMapping.ToToolDefinitions([declaration]));
        Assert.Equal(
            "{\"name\": \"search\", \"description\": \"Search the web.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"q\": {\"type\": \"string\"}}, \"required\": [\"q\"]}}",
            PythonJson.Format(tool.Function));

        var format = MeaiMapping.ToResponseFormat(ChatResponseFormat.ForJsonSchema(schema, "answer"));
        Assert.Equal(
            "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"answer\", \"schema\": {\"type\": \"object\", \"properties\": {\"q\": {\"type\": \"string\"}}, \"required\": [\"q\"]}}}",
            PythonJson.Format(format!.Value));
        Assert.Equal("{\"type\": \"json_object\"}", PythonJson.Format(MeaiMapping.ToResponseFormat(ChatResponseFormat.Json)!.Value));
        Assert.Null(MeaiMapping.ToResponseFormat(ChatResponseFormat.Text));
    }

    [Fact]
    public void UnknownRolesAreRejected() =>
        Assert.Throws<ChatEncodingException>(() => MeaiMapping.FromChatMessage(new(new Microsoft.Extensions.AI.ChatRole("critic"), "x")));
}
