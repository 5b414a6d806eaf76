using System.Runtime.CompilerServices;
using SeekSharp.Engine;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Agents.Tests;

/// <summary>
/// Test double of the engine for the tool path: an untrained model never writes a tool call, so these tests replay
/// completions recorded as text (tokenized by the real demo tokenizer, streamed one token per output exactly as the
/// engine contract says) and record the prompts they receive. The real engine is exercised by the engine tests.
/// </summary>
internal sealed class RecordedCompletionEngine(DeepSeekTokenizer tokenizer, params string[] completions) : IInferenceEngine
{
    private readonly Queue<string> _completions = new(completions);

    public EngineModelInfo Model { get; } = new("recorded", 1024, 4096, [1]);

    public List<EngineRequest> Requests { get; } = [];

    /// <summary>The prompts received, decoded back to text.</summary>
    public IEnumerable<string> Prompts => Requests.Select(r => tokenizer.Decode(r.PromptTokens));

    public async IAsyncEnumerable<EngineOutput> GenerateAsync(EngineRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        var text = _completions.Dequeue();
        var ids = tokenizer.EncodeToIds(text);
        var stopsAtEos = text.EndsWith(DsmlTokens.Eos, StringComparison.Ordinal);
        var count = Math.Min(ids.Length, request.MaxNewTokens);
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            var last = i == count - 1;
            var finish = !last ? null
                : new EngineFinish(stopsAtEos && count == ids.Length ? FinishReason.Stop : FinishReason.Length, request.PromptTokens.Count, 0, count);
            yield return new EngineOutput(ids[i], null, finish);
        }
    }

    public EngineMetrics GetMetrics() => new(0, 0, 0, 0, Requests.Count, 0, 0, 0, 0, 0, 0);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
