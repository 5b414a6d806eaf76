using System.Text;
using Microsoft.AspNetCore.Http;
using SeekSharp.Engine;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Hosting;
using SeekSharp.Server.Processing;
using SeekSharp.Server.Responses;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Endpoints;

/// <summary>POST /v1/completions: raw prompts (text or ids), text and legacy logprobs out; what eval harnesses call.</summary>
public sealed class CompletionsEndpoint(OpenAiService service)
{
    private sealed record Prepared(int Index, EngineRequest Request, string EchoText);

    private sealed record Generated(CompletionChoice Choice, Usage Usage);

    public async Task HandleAsync(HttpContext context)
    {
        using var document = await RequestBody.ReadJsonAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        var request = CompletionRequestReader.Read(document.RootElement, service.Options.DefaultCompletionMaxTokens);
        var model = service.ResolveModel(request.Model);
        var id = ToolCallIds.NewResponseId("cmpl-");
        var prepared = request.Prompts.Select((prompt, i) => Prepare(prompt, i, request, id)).ToList();
        var json = new CompletionJson(id, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model, service.TokenStrings);

        if (request.Stream)
        {
            await StreamAsync(context, request, prepared[0], json).ConfigureAwait(false);
            return;
        }
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var tasks = prepared.Select(p => GenerateAsync(p, request, abandon.Token)).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            await abandon.CancelAsync().ConfigureAwait(false);
            throw;
        }
        var results = tasks.Select(t => t.Result).ToList();
        if (results.Any(r => r is null)) return;   // the client went away
        var usage = new Usage(
            results.Sum(r => r!.Usage.PromptTokens), results.Sum(r => r!.Usage.CompletionTokens), results.Sum(r => r!.Usage.CachedTokens), 0);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(json.Response([.. results.Select(r => r!.Choice)], usage), context.RequestAborted).ConfigureAwait(false);
    }

    private Prepared Prepare(CompletionPrompt prompt, int index, CompletionRequest request, string id)
    {
        var field = request.Prompts.Count == 1 ? "prompt" : $"prompt[{index}]";
        IReadOnlyList<int> tokens = prompt.TokenIds ?? service.Tokenizer.Encode(prompt.Text!);
        foreach (var token in tokens)
        {
            if (!service.Tokenizer.IsKnownId(token))
                throw ApiException.BadRequest(field, $"{field}: token id {token} is not in the tokenizer's vocabulary");
        }
        var engineRequest = EngineRequests.Create(tokens, request.Generation, service.Engine.Model, field, $"{id}-{index}", promptLogprobs: request.PromptLogprobs);
        var echo = !request.Echo ? "" : prompt.Text ?? service.Tokenizer.Decode(tokens);
        return new Prepared(index, engineRequest, echo);
    }

    private async Task<Generated?> GenerateAsync(Prepared prepared, CompletionRequest request, CancellationToken cancellationToken)
    {
        var clock = new GenerationClock(service.Metrics);
        await using var stream = await EngineStream.StartAsync(service.Engine, prepared.Request, cancellationToken).ConfigureAwait(false);
        var processor = new TextOutputProcessor(service.Tokenizer, request.Generation.Stop);
        var text = new StringBuilder(prepared.EchoText);
        var logprobs = request.Generation.Logprobs ? new List<TokenLogprobEntry>() : null;
        var promptLeads = PromptTokensLeadLogprobs(request);
        if (promptLeads) logprobs!.AddRange(PromptEntries(prepared, stream));
        try
        {
            await foreach (var output in stream.ReadAllAsync().ConfigureAwait(false))
            {
                if (output.TokenId < 0) continue;
                clock.Token();
                if (logprobs is not null && output.Logprob is { } lp) logprobs.Add(new TokenLogprobEntry(output.TokenId, lp));
                text.Append(processor.Push(output.TokenId));
                if (processor.StoppedByString) stream.Stop();
            }
            text.Append(processor.Complete());
        }
        finally
        {
            clock.Finish();
        }
        var finishReason = FinishReasons.Decide(stream.Finish, processor.StoppedByString, hasToolCalls: false);
        if (finishReason is null) return null;
        var choice = new CompletionChoice(prepared.Index, text.ToString(), finishReason, logprobs, promptLeads ? 0 : prepared.EchoText.Length,
            request.PromptLogprobsField ? PromptEntries(prepared, stream) : null);
        return new Generated(choice, UsageOf(stream, prepared.Request, clock.Tokens));
    }

    private async Task StreamAsync(HttpContext context, CompletionRequest request, Prepared prepared, CompletionJson json)
    {
        var clock = new GenerationClock(service.Metrics);
        await using var stream = await EngineStream.StartAsync(service.Engine, prepared.Request, context.RequestAborted).ConfigureAwait(false);
        var processor = new TextOutputProcessor(service.Tokenizer, request.Generation.Stop);
        var events = await ServerSentEvents.StartAsync(context.Response).ConfigureAwait(false);
        service.Metrics.StreamOpened();
        try
        {
            var offset = 0;
            async Task Send(string text, List<TokenLogprobEntry>? logprobs, string? finishReason, List<TokenLogprobEntry>? promptLogprobs = null)
            {
                if (text.Length == 0 && finishReason is null && logprobs is not { Count: > 0 } && promptLogprobs is null) return;
                await events.SendAsync(json.Chunk(new CompletionChoice(0, text, finishReason, logprobs, offset, promptLogprobs), request.IncludeUsage)).ConfigureAwait(false);
                offset += text.Length;
            }

            try
            {
                // the echoed prompt (with its tokens' logprobs when scored) and vLLM's prompt_logprobs go first
                await Send(prepared.EchoText, PromptTokensLeadLogprobs(request) ? PromptEntries(prepared, stream) : null, null,
                    request.PromptLogprobsField ? PromptEntries(prepared, stream) : null).ConfigureAwait(false);
                await foreach (var output in stream.ReadAllAsync().ConfigureAwait(false))
                {
                    if (output.TokenId < 0) continue;
                    clock.Token();
                    var logprobs = request.Generation.Logprobs && output.Logprob is { } lp ? new List<TokenLogprobEntry> { new(output.TokenId, lp) } : null;
                    await Send(processor.Push(output.TokenId), logprobs, null).ConfigureAwait(false);
                    if (processor.StoppedByString) stream.Stop();
                }
                await Send(processor.Complete(), null, null).ConfigureAwait(false);
                var finishReason = FinishReasons.Decide(stream.Finish, processor.StoppedByString, hasToolCalls: false);
                if (finishReason is null) return;
                await Send("", null, finishReason).ConfigureAwait(false);
                if (request.IncludeUsage) await events.SendAsync(json.UsageChunk(UsageOf(stream, prepared.Request, clock.Tokens))).ConfigureAwait(false);
            }
            catch (ApiException error)
            {
                await events.SendAsync(Wire.JsonText.Write(w => ErrorResponses.WriteErrorObject(w, error))).ConfigureAwait(false);
            }
            await events.DoneAsync().ConfigureAwait(false);
        }
        finally
        {
            clock.Finish();
            service.Metrics.StreamClosed();
        }
    }

    /// <summary>echo with logprobs: the prompt's tokens lead the logprobs (OpenAI's legacy completions, vLLM).</summary>
    private static bool PromptTokensLeadLogprobs(CompletionRequest request) => request.Echo && request.Generation.Logprobs;

    /// <summary>The prompt's tokens with the engine's scores (the first has none).</summary>
    private static List<TokenLogprobEntry> PromptEntries(Prepared prepared, EngineStream stream) =>
        [.. prepared.Request.PromptTokens.Select((id, i) => new TokenLogprobEntry(id, stream.PromptLogprobs?[i]))];

    private static Usage UsageOf(EngineStream stream, EngineRequest request, int generated) =>
        new(stream.Finish?.PromptTokens ?? request.PromptTokens.Count,
            stream.Finish?.CompletionTokens ?? generated,
            stream.Finish?.CachedPromptTokens ?? 0,
            0);
}
