using System.Runtime.CompilerServices;
using SeekSharp.Engine;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.Sampling;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>
/// STOPGAP until the engine's LlmEngine is on main: the real model, one request at a time (no batching, no paged
/// cache), a bounded wait queue. Same contract as the real engine, so the HTTP tests do not change when it lands.
/// </summary>
public sealed class SerialModelEngine(DeepSeekV32Model model, string name, int maxWaiting = 256) : IInferenceEngine
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _waiting;
    private int _running;
    private long _finished, _promptTokens, _generated, _steps;

    public EngineModelInfo Model { get; } = new(name, model.Config.VocabSize, model.Config.MaxPositionEmbeddings, model.Config.EosTokenIds);

    public IAsyncEnumerable<EngineOutput> GenerateAsync(EngineRequest request, CancellationToken cancellationToken = default)
    {
        if (request.PromptTokens.Count == 0) throw new EngineRequestException("prompt", "empty prompt");
        if (request.PromptTokens.Count + request.MaxNewTokens > Model.MaxContextTokens)
            throw new EngineRequestException("max_tokens", "prompt + max_tokens exceed the context");
        if (Interlocked.Increment(ref _waiting) > maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            throw new EngineOverloadedException("the queue is full");
        }
        return RunAsync(request, cancellationToken);
    }

    private async IAsyncEnumerable<EngineOutput> RunAsync(EngineRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        Interlocked.Increment(ref _running);
        try
        {
            var sampler = new Sampler(new SamplingParams(request.Temperature, request.TopP, request.TopK, request.Seed));
            using var cache = model.NewCache(request.PromptTokens.Count + request.MaxNewTokens);
            var prompt = request.PromptTokens.ToArray();
            var logits = await Task.Run(() => model.Forward(prompt, cache), cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _promptTokens, prompt.Length);
            for (var step = 0; step < request.MaxNewTokens; step++)
            {
                var next = sampler.Next(logits);
                Interlocked.Increment(ref _generated);
                var stop = !request.IgnoreEos && (Model.EosTokenIds.Contains(next) || request.StopTokenIds.Contains(next));
                var last = stop || step == request.MaxNewTokens - 1;
                var finish = last ? new EngineFinish(stop ? FinishReason.Stop : FinishReason.Length, prompt.Length, 0, step + 1) : null;
                yield return new EngineOutput(next, request.Logprobs ? Logprobs(logits, next, request.TopLogprobs) : null, finish);
                if (last) break;
                var feed = next;
                logits = await Task.Run(() => model.Forward([feed], cache), cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _steps);
            }
            Interlocked.Increment(ref _finished);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            _gate.Release();
        }
    }

    private static TokenLogprob Logprobs(float[] logits, int chosen, int top)
    {
        var max = logits.Max();
        var logSum = Math.Log(logits.Sum(l => Math.Exp(l - max))) + max;
        var best = logits.Select((l, id) => new TopLogprob(id, (float)(l - logSum)))
            .OrderByDescending(t => t.Logprob).ThenBy(t => t.TokenId).Take(top).ToList();
        return new TokenLogprob((float)(logits[chosen] - logSum), best);
    }

    public EngineMetrics GetMetrics() => new(Volatile.Read(ref _waiting), Volatile.Read(ref _running), 0, 0,
        Interlocked.Read(ref _finished), Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _generated), 0, 0, 0, Interlocked.Read(ref _steps));

    public ValueTask DisposeAsync()
    {
        model.Dispose();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
