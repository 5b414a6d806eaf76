using System.Net;

namespace SeekSharp.Server.Errors;

/// <summary>
/// A request the server answers with an OpenAI error body: <c>{"error": {"message", "type", "param", "code"}}</c>
/// and <see cref="Status"/>. Thrown anywhere below an endpoint; the endpoint turns it into the response.
/// </summary>
public sealed class ApiException(HttpStatusCode status, string type, string message, string? param = null, string? code = null)
    : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>OpenAI's error type: invalid_request_error, authentication_error, rate_limit_error, server_error, ...</summary>
    public string Type { get; } = type;

    /// <summary>The request field at fault ("messages[2].role", "max_tokens"), or null.</summary>
    public string? Param { get; } = param;

    public string? Code { get; } = code;

    /// <summary>Seconds a client should wait before retrying (sent as Retry-After), or null.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException BadRequest(string? param, string message, string? code = null) =>
        new(HttpStatusCode.BadRequest, "invalid_request_error", message, param, code);

    public static ApiException InvalidApiKey() =>
        new(HttpStatusCode.Unauthorized, "authentication_error", "Incorrect API key provided.", null, "invalid_api_key");

    public static ApiException ModelNotFound(string model) =>
        new(HttpStatusCode.NotFound, "invalid_request_error", $"The model `{model}` does not exist.", "model", "model_not_found");

    public static ApiException Overloaded(string message) =>
        new(HttpStatusCode.TooManyRequests, "rate_limit_error", message, null, "rate_limit_exceeded") { RetryAfterSeconds = 1 };

    public static ApiException Internal(string message) =>
        new(HttpStatusCode.InternalServerError, "server_error", message);
}
