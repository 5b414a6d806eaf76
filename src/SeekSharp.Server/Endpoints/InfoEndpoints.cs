using Microsoft.AspNetCore.Http;
using SeekSharp.Server.Hosting;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Endpoints;

/// <summary>GET /v1/models, /health and /metrics.</summary>
public sealed class InfoEndpoints(OpenAiService service)
{
    public async Task ModelsAsync(HttpContext context)
    {
        var body = JsonText.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var name in service.ModelNames)
            {
                w.WriteStartObject();
                w.WriteString("id", name);
                w.WriteString("object", "model");
                w.WriteNumber("created", service.Created);
                w.WriteString("owned_by", "seeksharp");
                w.WriteNumber("max_model_len", service.Engine.Model.MaxContextTokens);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    public async Task HealthAsync(HttpContext context)
    {
        var metrics = service.Engine.GetMetrics();
        var body = JsonText.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "ok");
            w.WriteString("model", service.ModelName);
            w.WriteNumber("waiting", metrics.Waiting);
            w.WriteNumber("running", metrics.Running);
            w.WriteEndObject();
        });
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    public async Task MetricsAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(service.Metrics.Render(service.Engine.GetMetrics()), context.RequestAborted).ConfigureAwait(false);
    }
}
