using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SeekSharp.Engine;
using SeekSharp.IO.Tokenization;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Hosting;

namespace SeekSharp.Server.Endpoints;

/// <summary>Maps the OpenAI-compatible API onto any ASP.NET Core app: what the CLI and the tests both host.</summary>
public static class OpenAiEndpoints
{
    /// <summary>
    /// POST /v1/chat/completions, POST /v1/completions, GET /v1/models (API key checked when configured), GET /health,
    /// GET /metrics, and OpenAI-style 404s for anything else. Every failure of one request is answered (or, mid-stream,
    /// reported) on that request only.
    /// </summary>
    public static OpenAiService MapOpenAiEndpoints(
        this IEndpointRouteBuilder app, IInferenceEngine engine, DeepSeekTokenizer tokenizer, OpenAiServerOptions? options = null)
    {
        var service = new OpenAiService(engine, tokenizer, options);
        var logger = app.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("SeekSharp.Server") ?? NullLogger.Instance;
        var chat = new ChatCompletionsEndpoint(service);
        var completions = new CompletionsEndpoint(service);
        var info = new InfoEndpoints(service);

        RequestDelegate Guard(string endpoint, bool authenticated, Func<HttpContext, Task> handler) =>
            context => RequestGuard.RunAsync(context, service, logger, endpoint, authenticated, handler);

        app.MapPost("/v1/chat/completions", Guard("chat_completions", true, chat.HandleAsync));
        app.MapPost("/v1/completions", Guard("completions", true, completions.HandleAsync));
        app.MapGet("/v1/models", Guard("models", true, info.ModelsAsync));
        app.MapGet("/health", Guard("health", false, info.HealthAsync));
        app.MapGet("/metrics", Guard("metrics", false, info.MetricsAsync));
        app.MapFallback(Guard("unknown", false, context =>
            throw new ApiException(System.Net.HttpStatusCode.NotFound, "invalid_request_error",
                $"Unknown request URL: {context.Request.Method} {context.Request.Path}.", null, "unknown_url")));
        return service;
    }
}
