using System.Text.Json.Nodes;

namespace SeekSharp.Server.Tests.Wire;

/// <summary>
/// Generated bad request bodies: every prefix of a valid body (broken JSON), wrong types and out-of-range values for
/// every field the server reads, and conversations the V3.2 encoder cannot render. Each names the field a 400 should
/// carry (null when the JSON itself is broken).
/// </summary>
public static class MalformedRequests
{
    public const string ValidChat = """
        {"model": "MODEL", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
         "max_tokens": 4, "temperature": 0, "stream": false}
        """;

    public const string ValidCompletion = """{"model": "MODEL", "prompt": "Once upon a time", "max_tokens": 4, "temperature": 0}""";

    public sealed record Case(string Name, string Body, string? Param);

    public static IEnumerable<Case> Chat(string model)
    {
        var valid = ValidChat.Replace("MODEL", model, StringComparison.Ordinal);
        foreach (var c in BrokenJson(valid)) yield return c;

        var fields = new (string Field, JsonNode?[] Bad)[]
        {
            ("model", [1, true, new JsonArray(), new JsonObject()]),
            ("messages", ["hi", 1, new JsonObject(), new JsonArray()]),
            ("temperature", ["hot", -0.5, 2.5, true, new JsonArray()]),
            ("top_p", [0, -1, 1.5, "x"]),
            ("max_tokens", [0, -3, 1.5, "4", 1e30]),
            ("max_completion_tokens", [0, "many", -1]),
            ("stream", ["yes", 1, new JsonObject()]),
            ("stream_options", ["x", 1, new JsonArray()]),
            ("n", [2, 0, "1"]),
            ("seed", ["s", 1.5, new JsonObject()]),
            ("stop", [1, new JsonArray(1, 2), "", new JsonObject()]),
            ("logprobs", ["true", 1]),
            ("top_logprobs", [21, -1, "3"]),
            ("presence_penalty", [1, 3, "x"]),
            ("frequency_penalty", [-1, "x"]),
            ("tools", ["x", new JsonObject(), new JsonArray(1), new JsonArray(new JsonObject { ["type"] = "function" })]),
            ("tool_choice", ["always", 1, new JsonObject { ["type"] = "function" }]),
            ("logit_bias", ["x", new JsonObject { ["abc"] = 1 }, new JsonObject { ["5"] = 200 }, new JsonObject { ["5"] = "1" }]),
            ("thinking", ["enabled", new JsonObject { ["type"] = "maybe" }, new JsonObject()]),
            ("chat_template_kwargs", ["x", new JsonObject { ["thinking"] = "yes" }]),
            ("response_format", ["json", new JsonObject { ["type"] = "xml" }, new JsonObject()]),
        };
        foreach (var (field, bad) in fields)
        {
            for (var i = 0; i < bad.Length; i++)
            {
                var body = JsonNode.Parse(valid)!.AsObject();
                body[field] = bad[i]?.DeepClone();
                yield return new Case($"{field} = {bad[i]?.ToJsonString() ?? "null"}", body.ToJsonString(), null);
            }
        }

        foreach (var (name, messages) in BadConversations())
        {
            var body = JsonNode.Parse(valid)!.AsObject();
            body["messages"] = JsonNode.Parse(messages);
            yield return new Case(name, body.ToJsonString(), null);
        }
    }

    public static IEnumerable<Case> Completions(string model)
    {
        var valid = ValidCompletion.Replace("MODEL", model, StringComparison.Ordinal);
        foreach (var c in BrokenJson(valid)) yield return c;
        var fields = new (string Field, JsonNode?[] Bad)[]
        {
            ("prompt", [1, new JsonArray(), new JsonArray(-1), new JsonArray(1.5), new JsonObject(), new JsonArray(true)]),
            ("max_tokens", [0, "x", -1]),
            ("logprobs", [21, -1, "2", true]),
            ("echo", ["yes"]),
            ("prompt_logprobs", [21, -1, "1"]),
            ("best_of", [2, "x"]),
            ("temperature", [3, "x"]),
            ("model", [5]),
        };
        foreach (var (field, bad) in fields)
        {
            foreach (var value in bad)
            {
                var body = JsonNode.Parse(valid)!.AsObject();
                body[field] = value?.DeepClone();
                yield return new Case($"{field} = {value?.ToJsonString() ?? "null"}", body.ToJsonString(), null);
            }
        }
    }

    /// <summary>Message lists that are well-typed JSON but not a conversation the model can continue.</summary>
    public static IEnumerable<(string Name, string Messages)> BadConversations()
    {
        yield return ("unknown role", """[{"role": "wizard", "content": "hi"}]""");
        yield return ("role in capitals", """[{"role": "User", "content": "hi"}]""");
        yield return ("missing role", """[{"content": "hi"}]""");
        yield return ("message not an object", """["hi"]""");
        yield return ("content a number", """[{"role": "user", "content": 5}]""");
        yield return ("image content part", """[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]""");
        yield return ("content part without text", """[{"role": "user", "content": [{"type": "text"}]}]""");
        yield return ("tool result without a call", """[{"role": "user", "content": "hi"}, {"role": "tool", "content": "42"}]""");
        yield return ("tool result after a plain assistant", """[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}, {"role": "tool", "content": "42"}]""");
        yield return ("more results than calls", """
            [{"role": "user", "content": "hi"},
             {"role": "assistant", "content": "", "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
             {"role": "tool", "content": "1", "tool_call_id": "a"}, {"role": "tool", "content": "2", "tool_call_id": "b"}]
            """);
        yield return ("tool call arguments not JSON", """
            [{"role": "user", "content": "hi"},
             {"role": "assistant", "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]},
             {"role": "tool", "content": "1"}]
            """);
        yield return ("tool call without a name", """
            [{"role": "user", "content": "hi"},
             {"role": "assistant", "tool_calls": [{"id": "a", "type": "function", "function": {"arguments": "{}"}}]},
             {"role": "tool", "content": "1"}]
            """);
        yield return ("tool calls not an array", """[{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": {}}]""");
        yield return ("ends with the assistant", """[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}]""");
        yield return ("only a system message", """[{"role": "system", "content": "rules"}]""");
        yield return ("empty developer message", """[{"role": "developer", "content": ""}]""");
        yield return ("results still missing", """
            [{"role": "user", "content": "hi"},
             {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}, {"type": "function", "function": {"name": "g", "arguments": "{}"}}]},
             {"role": "tool", "content": "1"}]
            """);
    }

    // every proper prefix of the body, and a few corruptions
    private static IEnumerable<Case> BrokenJson(string valid)
    {
        var compact = JsonNode.Parse(valid)!.ToJsonString();
        for (var length = 0; length < compact.Length; length += Math.Max(1, compact.Length / 60))
            yield return new Case($"prefix {length}", compact[..length], null);
        yield return new Case("trailing comma", compact[..^1] + ",}", null);
        yield return new Case("single quotes", compact.Replace('"', '\''), null);
        yield return new Case("two documents", compact + compact, null);
        yield return new Case("array body", "[" + compact + "]", null);
        yield return new Case("string body", "\"hello\"", null);
        yield return new Case("lone surrogate in content", compact.Replace("Hi", "\\ud800", StringComparison.Ordinal).Replace("Once", "\\udfff", StringComparison.Ordinal), null);
    }
}
