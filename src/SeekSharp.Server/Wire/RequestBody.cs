using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Wire;

/// <summary>Reads a request body as one JSON document; malformed JSON is a 400 that says where.</summary>
public static class RequestBody
{
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 128 };

    public static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(request.Body, s_options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            throw ApiException.BadRequest(null, $"The request body is not valid JSON{where}: {FirstSentence(e.Message)}", "invalid_json");
        }
    }

    public static JsonDocument ParseJson(string text)
    {
        try
        {
            return JsonDocument.Parse(text, s_options);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest(null, $"The request body is not valid JSON: {FirstSentence(e.Message)}", "invalid_json");
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
