using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SeekSharp.Server.Responses;

/// <summary>An SSE response: <c>data: JSON\n\n</c> per event, flushed at once, and <c>data: [DONE]</c> at the end.</summary>
public sealed class ServerSentEvents
{
    private static readonly byte[] s_prefix = "data: "u8.ToArray();
    private static readonly byte[] s_suffix = "\n\n"u8.ToArray();
    private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();
    private readonly HttpResponse _response;

    private ServerSentEvents(HttpResponse response) => _response = response;

    public static async Task<ServerSentEvents> StartAsync(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
        return new ServerSentEvents(response);
    }

    public async Task SendAsync(byte[] json)
    {
        var body = _response.Body;
        var token = _response.HttpContext.RequestAborted;
        await body.WriteAsync(s_prefix, token).ConfigureAwait(false);
        await body.WriteAsync(json, token).ConfigureAwait(false);
        await body.WriteAsync(s_suffix, token).ConfigureAwait(false);
        await body.FlushAsync(token).ConfigureAwait(false);
    }

    public async Task DoneAsync()
    {
        await _response.Body.WriteAsync(s_done, _response.HttpContext.RequestAborted).ConfigureAwait(false);
        await _response.Body.FlushAsync(_response.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
