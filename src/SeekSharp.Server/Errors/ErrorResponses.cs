using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Errors;

/// <summary>Writes OpenAI error bodies.</summary>
public static class ErrorResponses
{
    /// <summary>The <c>{"error": {...}}</c> object, for a response body or an SSE event.</summary>
    public static void WriteErrorObject(Utf8JsonWriter writer, ApiException error)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", error.Message);
        writer.WriteString("type", error.Type);
        writer.WriteString("param", error.Param);
        writer.WriteString("code", error.Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Sets the status (and Retry-After) and writes the body; only while the response has not started.</summary>
    public static async Task WriteAsync(HttpResponse response, ApiException error)
    {
        response.StatusCode = (int)error.Status;
        if (error.RetryAfterSeconds is { } seconds) response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.ContentType = "application/json";
        var body = JsonText.Write(w => WriteErrorObject(w, error));
        await response.Body.WriteAsync(body, response.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
