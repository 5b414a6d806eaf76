using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Wire;

/// <summary>The request-level <c>tools</c> and <c>tool_choice</c>.</summary>
public static class ToolsReader
{
    public static IReadOnlyList<ToolDefinition> ReadTools(RequestObject body)
    {
        if (body.Array("tools") is not { } tools) return [];
        var result = new List<ToolDefinition>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in tools.EnumerateArray())
        {
            var path = $"tools[{index++}]";
            var tool = new RequestObject(item, path);
            var type = tool.String("type") ?? "function";
            if (type != "function") throw ApiException.BadRequest($"{path}.type", $"{path}.type must be \"function\", got \"{type}\"");
            var function = tool.Object("function") ?? throw ApiException.BadRequest($"{path}.function", $"{path}.function is required");
            var name = function.String("name") ?? throw ApiException.BadRequest($"{path}.function.name", $"{path}.function.name is required");
            if (name.Length == 0) throw ApiException.BadRequest($"{path}.function.name", $"{path}.function.name must not be empty");
            if (!names.Add(name)) throw ApiException.BadRequest($"{path}.function.name", $"{path}.function.name: a second tool named \"{name}\"");
            if (function.TryGet("parameters", out var parameters) && parameters.ValueKind != JsonValueKind.Object)
                throw function.WrongType("parameters", "a JSON schema object", parameters);
            item.TryGetProperty("function", out var functionElement);
            result.Add(new ToolDefinition(functionElement));
        }
        return result;
    }

    public static ToolChoice ReadToolChoice(RequestObject body, IReadOnlyList<ToolDefinition> tools)
    {
        if (!body.TryGet("tool_choice", out var choice)) return tools.Count > 0 ? ToolChoice.Auto : ToolChoice.None;
        ToolChoice result;
        if (choice.ValueKind == JsonValueKind.String)
        {
            result = RequestObject.StringValue(choice, "tool_choice") switch
            {
                "auto" => ToolChoice.Auto,
                "none" => ToolChoice.None,
                "required" => new ToolChoice(ToolChoiceKind.Required),
                var other => throw ApiException.BadRequest("tool_choice", $"tool_choice must be \"auto\", \"none\", \"required\" or a function, got \"{other}\""),
            };
        }
        else
        {
            var named = new RequestObject(choice, "tool_choice");
            var type = named.String("type") ?? throw ApiException.BadRequest("tool_choice.type", "tool_choice.type is required");
            if (type != "function") throw ApiException.BadRequest("tool_choice.type", $"tool_choice.type must be \"function\", got \"{type}\"");
            var function = named.Object("function") ?? throw ApiException.BadRequest("tool_choice.function", "tool_choice.function is required");
            var name = function.String("name") ?? throw ApiException.BadRequest("tool_choice.function.name", "tool_choice.function.name is required");
            if (!tools.Any(t => t.Name == name))
                throw ApiException.BadRequest("tool_choice.function.name", $"tool_choice.function.name: no tool named \"{name}\" in tools");
            result = new ToolChoice(ToolChoiceKind.Function, name);
        }
        if (result.Kind is ToolChoiceKind.Required && tools.Count == 0)
            throw ApiException.BadRequest("tool_choice", "tool_choice \"required\" needs at least one tool in tools");
        return result;
    }
}
