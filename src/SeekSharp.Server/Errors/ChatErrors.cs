using System.Globalization;
using System.Text.RegularExpressions;
using SeekSharp.IO.Chat;

namespace SeekSharp.Server.Errors;

/// <summary>Turns the encoder's and wire mapping's rejections into 400s whose param is the message field they name.</summary>
public static partial class ChatErrors
{
    /// <param name="insertedBefore">Messages the server put in front of the client's (an inserted system message): indices are shifted back by this.</param>
    public static ApiException FromEncoding(ChatEncodingException error, string? fallbackParam = "messages", int insertedBefore = 0)
    {
        var message = insertedBefore == 0
            ? error.Message
            : IndexPattern().Replace(error.Message, m =>
                $"messages[{int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - insertedBefore}]");
        var match = FieldPattern().Match(message);
        return ApiException.BadRequest(match.Success ? match.Groups[1].Value : fallbackParam, message);
    }

    // "messages[3].tool_calls[0].function.name is missing" -> messages[3].tool_calls[0].function.name
    [GeneratedRegex(@"^(messages\[\d+\](?:\.[a-z_]+(?:\[\d+\])?)*)")]
    private static partial Regex FieldPattern();

    [GeneratedRegex(@"messages\[(\d+)\]")]
    private static partial Regex IndexPattern();
}
