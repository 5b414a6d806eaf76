using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Wire;

/// <summary>
/// OpenAI clients may send <c>content</c> as an array of parts (<c>[{"type": "text", "text": "..."}]</c>); the V3.2
/// prompt has text only, so text parts are joined and any other part is a 400.
/// </summary>
public static class MessageContent
{
    public static JsonElement FlattenTextParts(JsonElement message, string path)
    {
        if (message.ValueKind != JsonValueKind.Object
            || !message.TryGetProperty("content", out var content)
            || content.ValueKind != JsonValueKind.Array)
            return message;

        var text = new StringBuilder();
        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = $"{path}.content[{index++}]";
            var fields = new RequestObject(part, partPath);
            var type = fields.String("type") ?? throw ApiException.BadRequest($"{partPath}.type", $"{partPath}.type is required");
            if (type is not ("text" or "input_text"))
                throw ApiException.BadRequest($"{partPath}.type", $"{partPath}.type: only text content is supported, got \"{type}\"");
            text.Append(fields.String("text") ?? throw ApiException.BadRequest($"{partPath}.text", $"{partPath}.text is required"));
        }
        var flattened = JsonObject.Create(message)!;
        flattened["content"] = text.ToString();
        return JsonSerializer.SerializeToElement(flattened, JsonNodeContext.Default.JsonObject);
    }
}
