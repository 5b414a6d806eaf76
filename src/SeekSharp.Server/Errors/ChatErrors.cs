using System.Text.RegularExpressions;
using SeekSharp.IO.Chat;

namespace SeekSharp.Server.Errors;

/// <summary>Turns the encoder's and wire mapping's rejections into 400s whose param is the message field they name.</summary>
public static partial class ChatErrors
{
    public static ApiException FromEncoding(ChatEncodingException error, string? fallbackParam = "messages")
    {
        var match = FieldPattern().Match(error.Message);
        return ApiException.BadRequest(match.Success ? match.Groups[1].Value : fallbackParam, error.Message);
    }

    // "messages[3].tool_calls[0].function.name is missing" -> messages[3].tool_calls[0].function.name
    [GeneratedRegex(@"^(messages\[\d+\](?:\.[a-z_]+(?:\[\d+\])?)*)")]
    private static partial Regex FieldPattern();
}
