using System.Text;
using Microsoft.AspNetCore.Http;
using SeekSharp.IO.Chat;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Hosting;
using SeekSharp.Server.Processing;
using SeekSharp.Server.Responses;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Endpoints;

/// <summary>POST /v1/chat/completions: JSON in, V3.2 prompt, engine, reasoning/content/tool calls out (JSON or SSE).</summary>
public sealed class ChatCompletionsEndpoint(OpenAiService service)
{
    public async Task HandleAsync(HttpContext context)
    {
        var clock = new GenerationClock(service.Metrics);
        using var document = await RequestBody.ReadJsonAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        var request = ChatCompletionRequestReader.Read(document.RootElement, service.Options.DefaultThinking);
        var model = service.ResolveModel(request.Model);
        var prompt = ChatPrompt.Build(request, service.Tokenizer);
        var id = ToolCallIds.NewResponseId("chatcmpl-");
        var engineRequest = EngineRequests.Create(prompt.Tokens, request.Generation, service.Engine.Model, "messages", id)
            with { Forced = ForcedToolCall.Continuation(prompt.ForcedToolCall, request.Thinking, service.Tokenizer) };

        await using var stream = await EngineStream.StartAsync(service.Engine, engineRequest, context.RequestAborted).ConfigureAwait(false);
        var processor = new ChatOutputProcessor(service.Tokenizer, request.Thinking, request.Generation.Stop);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        try
        {
            if (request.Stream) await StreamAsync(context, request, model, id, created, stream, processor, clock, prompt.Tokens.Count).ConfigureAwait(false);
            else await RespondAsync(context, request, model, id, created, stream, processor, clock, prompt.Tokens.Count).ConfigureAwait(false);
        }
        finally
        {
            clock.Finish();
        }
    }

    private async Task RespondAsync(
        HttpContext context, ChatCompletionRequest request, string model, string id, long created,
        EngineStream stream, ChatOutputProcessor processor, GenerationClock clock, int promptTokens)
    {
        var content = new StringBuilder();
        var reasoning = new StringBuilder();
        var calls = new List<ToolCall>();
        var logprobs = request.Generation.Logprobs ? new List<TokenLogprobEntry>() : null;
        void Collect(IReadOnlyList<ChatDelta> deltas)
        {
            foreach (var delta in deltas)
            {
                switch (delta)
                {
                    case ReasoningChunk r: reasoning.Append(r.Text); break;
                    case ContentChunk c: content.Append(c.Text); break;
                    case ToolCallChunk t: calls.Add(t.Call); break;
                }
            }
        }

        await foreach (var output in stream.ReadAllAsync().ConfigureAwait(false))
        {
            if (output.TokenId < 0) continue;
            clock.Token();
            if (logprobs is not null && output.Logprob is { } lp) logprobs.Add(new TokenLogprobEntry(output.TokenId, lp));
            Collect(processor.Push(output.TokenId));
            if (processor.StoppedByString) stream.Stop();
        }
        Collect(processor.Complete());
        var finishReason = FinishReasons.Decide(stream.Finish, processor.StoppedByString, calls.Count > 0);
        if (finishReason is null) return;   // the client went away

        var result = new ChatCompletionResult(
            id, created, model, content.ToString(),
            request.Thinking == ThinkingMode.Thinking ? reasoning.ToString() : null,
            calls, finishReason, logprobs,
            UsageOf(stream, processor, promptTokens, clock.Tokens));
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(ChatCompletionJson.Write(result, service.TokenStrings), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task StreamAsync(
        HttpContext context, ChatCompletionRequest request, string model, string id, long created,
        EngineStream stream, ChatOutputProcessor processor, GenerationClock clock, int promptTokens)
    {
        var chunks = new ChatChunkJson(id, created, model, request.IncludeUsage, service.TokenStrings);
        var pendingLogprobs = request.Generation.Logprobs ? new List<TokenLogprobEntry>() : null;
        var events = await ServerSentEvents.StartAsync(context.Response).ConfigureAwait(false);
        service.Metrics.StreamOpened();
        try
        {
            await events.SendAsync(chunks.Role()).ConfigureAwait(false);
            var toolCalls = 0;
            async Task Send(IReadOnlyList<ChatDelta> deltas)
            {
                foreach (var delta in deltas)
                {
                    if (delta is ToolCallChunk) toolCalls++;
                    await events.SendAsync(chunks.Delta(delta, TakeLogprobs(pendingLogprobs))).ConfigureAwait(false);
                }
            }

            try
            {
                await foreach (var output in stream.ReadAllAsync().ConfigureAwait(false))
                {
                    if (output.TokenId < 0) continue;
                    clock.Token();
                    if (pendingLogprobs is not null && output.Logprob is { } lp) pendingLogprobs.Add(new TokenLogprobEntry(output.TokenId, lp));
                    await Send(processor.Push(output.TokenId)).ConfigureAwait(false);
                    if (processor.StoppedByString) stream.Stop();
                }
                await Send(processor.Complete()).ConfigureAwait(false);
                var finishReason = FinishReasons.Decide(stream.Finish, processor.StoppedByString, toolCalls > 0);
                if (finishReason is null) return;
                await events.SendAsync(chunks.Finish(finishReason, TakeLogprobs(pendingLogprobs))).ConfigureAwait(false);
                if (request.IncludeUsage)
                    await events.SendAsync(chunks.UsageChunk(UsageOf(stream, processor, promptTokens, clock.Tokens))).ConfigureAwait(false);
            }
            catch (ApiException error)
            {
                // the status line is gone: report the failure as an event, as OpenAI does mid-stream
                await events.SendAsync(Wire.JsonText.Write(w => ErrorResponses.WriteErrorObject(w, error))).ConfigureAwait(false);
            }
            await events.DoneAsync().ConfigureAwait(false);
        }
        finally
        {
            service.Metrics.StreamClosed();
        }
    }

    private static List<TokenLogprobEntry>? TakeLogprobs(List<TokenLogprobEntry>? pending)
    {
        if (pending is null) return null;
        var taken = pending.ToList();
        pending.Clear();
        return taken;
    }

    private static Usage UsageOf(EngineStream stream, ChatOutputProcessor processor, int promptTokens, int generated) =>
        new(stream.Finish?.PromptTokens ?? promptTokens,
            stream.Finish?.CompletionTokens ?? generated,
            stream.Finish?.CachedPromptTokens ?? 0,
            processor.ReasoningTokens);
}
