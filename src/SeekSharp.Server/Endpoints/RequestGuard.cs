using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Hosting;

namespace SeekSharp.Server.Endpoints;

/// <summary>
/// Runs one endpoint: API key, request size limit, errors to OpenAI error JSON with the right status, a
/// last-resort 500 for bugs, the response counted by status. Nothing a request does escapes it.
/// </summary>
internal static class RequestGuard
{
    public static async Task RunAsync(
        HttpContext context, OpenAiService service, ILogger logger, string endpoint, bool authenticated, Func<HttpContext, Task> handler)
    {
        try
        {
            if (authenticated) service.ApiKey?.Require(context.Request);
            var sizeLimit = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
            if (sizeLimit is { IsReadOnly: false }) sizeLimit.MaxRequestBodySize = service.Options.MaxRequestBodyBytes;
            await handler(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away; nothing to answer
        }
        catch (ApiException error) when (!context.Response.HasStarted)
        {
            await ErrorResponses.WriteAsync(context.Response, error).ConfigureAwait(false);
        }
        catch (BadHttpRequestException error) when (!context.Response.HasStarted)
        {
            var status = (System.Net.HttpStatusCode)error.StatusCode;
            await ErrorResponses.WriteAsync(context.Response, new ApiException(status, "invalid_request_error", error.Message)).ConfigureAwait(false);
        }
        catch (Exception error) when (!context.Response.HasStarted)
        {
            logger.LogError(error, "{Endpoint}: unexpected failure", endpoint);
            await ErrorResponses.WriteAsync(context.Response, ApiException.Internal($"internal error: {error.Message}")).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // mid-response: the status is sent already; cut the connection so the client sees the failure
            logger.LogError(error, "{Endpoint}: failure after the response started", endpoint);
            context.Abort();
        }
        finally
        {
            service.Metrics.CountResponse(endpoint, context.Response.StatusCode);
        }
    }
}
