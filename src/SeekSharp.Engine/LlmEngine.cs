using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute.Host;
using SeekSharp.Core.Compute;
using SeekSharp.Engine.Cache;
using SeekSharp.Engine.Scheduling;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.Sampling;

namespace SeekSharp.Engine;

/// <summary>
/// The serving engine over one loaded <see cref="DeepSeekV32Model"/>: a bounded request queue, a scheduler with
/// continuous batching and chunked prefill, a paged KV cache with prefix caching, and one engine thread that only
/// schedules, runs the model and samples. Callers' threads validate, enqueue and read their output channel; they never
/// touch the model.
/// </summary>
public sealed class LlmEngine : IInferenceEngine
{
    private readonly DeepSeekV32Model _model;
    private readonly bool _ownsModel;
    private readonly EngineOptions _options;
    private readonly KvBlockPool _pool;
    private readonly DecodeGraphs? _graphs;
    private readonly Scheduler _scheduler;
    private readonly HashSet<int> _eos;
    private readonly ConcurrentQueue<Sequence> _incoming = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly Lock _metricsLock = new();
    private EngineMetrics _metrics;
    private int _queued;
    private long _nextId;
    private volatile bool _stopping;

    /// <param name="eosTokenIds">Tokens that end generation; null = the model config's eos_token_id.</param>
    /// <param name="ownsModel">Dispose the model with the engine.</param>
    public LlmEngine(DeepSeekV32Model model, EngineOptions? options = null, IReadOnlyList<int>? eosTokenIds = null, bool ownsModel = false)
    {
        _options = options ?? new EngineOptions();
        _options.Validate();
        _model = model;
        _ownsModel = ownsModel;
        var config = model.Config;
        var fp8Latent = model.Options.Fp8LatentCache;   // the model's FP8 latent values fit FP8 rows exactly
        var blockBytes = KvBlockPool.BytesPerBlock(config, model.Device.Bf16StorageType, fp8Latent);
        // decode graphs pad batches with rows that write one scratch block (taken from the byte budget)
        var scratch = _options.DecodeGraphs && model.Device is IGraphCapture ? 1 : 0;
        var blocks = _options.KvBlocks
            ?? (_options.KvCacheBytes is { } bytes
                ? (int)Math.Min(int.MaxValue, bytes / blockBytes - scratch)
                : _options.MaxRunningSequences * ((Math.Min(config.MaxPositionEmbeddings, 8192) + EngineOptions.BlockSize - 1) / EngineOptions.BlockSize));
        if (blocks < 1) throw new ArgumentException($"the KV byte budget holds no block of {blockBytes} bytes", nameof(options));
        _pool = new KvBlockPool(model.Device, config, blocks, scratch, fp8Latent);
        if (scratch > 0)
            _graphs = DecodeGraphs.Create(model, new PagedSequenceKv(_pool, [_pool.ScratchBlock]), _options.MaxDecodeGraphs);
        _scheduler = new Scheduler(new BlockManager(blocks), _options);
        var eos = eosTokenIds ?? config.EosTokenIds;
        _eos = [.. eos];
        var context = Math.Min(config.MaxPositionEmbeddings, blocks * EngineOptions.BlockSize);
        if (_options.MaxContextTokens is { } cap) context = Math.Min(context, cap);
        Model = new EngineModelInfo(_options.ModelName ?? "deepseek-v3.2", config.VocabSize, context, [.. eos]);
        _metrics = new EngineMetrics(0, 0, 0, blocks, 0, 0, 0, 0, 0, 0, 0);
        _thread = new Thread(Loop) { IsBackground = true, Name = "seeksharp-engine" };
        _thread.Start();
    }

    /// <summary>
    /// Loads a checkpoint folder onto <paramref name="device"/> and serves it; the engine owns the model. EOS ids come
    /// from the folder (<see cref="EosTokens"/>), the model name from the folder name unless the options name one.
    /// </summary>
    public static LlmEngine Load(string modelDirectory, IComputeDevice device, EngineOptions? options = null, bool ownsDevice = false)
    {
        var model = DeepSeekV32Model.Load(modelDirectory, device, ownsDevice: ownsDevice);
        try
        {
            var named = (options ?? new EngineOptions()) with
            {
                ModelName = options?.ModelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDirectory))),
            };
            return new LlmEngine(model, named, EosTokens.FromModelDirectory(modelDirectory, model.Config.EosTokenIds), ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads a checkpoint folder on the CPU through <paramref name="backend"/> (e.g. a CpuBackend).</summary>
    public static LlmEngine Load(string modelDirectory, IBackend backend, EngineOptions? options = null) =>
        Load(modelDirectory, new Core.Compute.Host.HostDevice(backend), options, ownsDevice: true);

    public EngineModelInfo Model { get; }

    /// <summary>Blocks in the KV pool.</summary>
    public int KvBlocks => _pool.Blocks;

    public IAsyncEnumerable<EngineOutput> GenerateAsync(EngineRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        RequestValidation.Check(request, Model);
        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedRequests)
        {
            Interlocked.Decrement(ref _queued);
            throw new EngineOverloadedException($"the engine queue is full ({_options.MaxQueuedRequests} requests waiting); retry later");
        }
        var channel = Channel.CreateUnbounded<EngineOutput>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var id = request.RequestId ?? $"req-{Interlocked.Increment(ref _nextId)}";
        var sampler = new Sampler(new SamplingParams(request.Temperature, request.TopP, request.TopK, request.Seed));
        var sequence = new Sequence(id, request, sampler, channel.Writer);
        if (request.Forced is { AfterToken: null } atStart)
        {
            // decided before any step: computed with the prompt, streamed at the first sample step
            sequence.Tokens.AddRange(ForcedThatFit(sequence, atStart.Tokens));
            sequence.ForcedDone = true;
        }
        _incoming.Enqueue(sequence);
        _wake.Release();
        return ReadOutputs(sequence, channel.Reader, cancellationToken);
    }

    private async IAsyncEnumerable<EngineOutput> ReadOutputs(Sequence sequence, ChannelReader<EngineOutput> reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // the engine thread notices the flag at its next step, frees the blocks and ends the stream with Cancelled
        using var registration = cancellationToken.Register(() => RequestCancel(sequence));
        var ended = false;
        try
        {
            await foreach (var output in reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                ended = output.Finish is not null;
                yield return output;
            }
        }
        finally
        {
            if (!ended) RequestCancel(sequence);                           // the caller stopped reading: free the slot
        }
    }

    private void RequestCancel(Sequence sequence)
    {
        sequence.CancelRequested = true;
        _wake.Release();
    }

    public EngineMetrics GetMetrics()
    {
        lock (_metricsLock) return _metrics with { Waiting = _metrics.Waiting + Volatile.Read(ref _queued) };
    }

    private void Loop()
    {
        while (true)
        {
            while (_incoming.TryDequeue(out var arrived)) _scheduler.Waiting.AddLast(arrived);
            if (_stopping) break;
            FinishCancelled();
            var plan = _scheduler.Schedule();
            if (plan.Count == 0)
            {
                PublishMetrics(0, 0);
                _wake.Wait();
                continue;
            }
            foreach (var chunk in plan) LeaveQueue(chunk.Sequence);
            var generated = Step(plan);
            PublishMetrics(1, generated);
        }
        foreach (var sequence in _scheduler.Running.Concat(_scheduler.Waiting).ToArray()) Finish(sequence, FinishReason.Cancelled);
        while (_incoming.TryDequeue(out var late)) Finish(late, FinishReason.Cancelled);
    }

    /// <summary>Runs one batched model step; a failing batch is retried one sequence at a time to isolate the bad one.</summary>
    private int Step(List<ScheduledChunk> plan)
    {
        var allRows = plan.Select(WantsAllRows).ToArray();
        try
        {
            var logits = Run(plan, allRows);
            return Apply(plan, allRows, logits);
        }
        catch (Exception) when (plan.Count > 1)
        {
            var generated = 0;
            for (var i = 0; i < plan.Count; i++)
            {
                var chunk = plan[i];
                try
                {
                    generated += Apply([chunk], [allRows[i]], Run([chunk], [allRows[i]]));
                }
                catch (Exception e)
                {
                    Finish(chunk.Sequence, FinishReason.Error, e.Message);
                }
            }
            return generated;
        }
        catch (Exception e)
        {
            Finish(plan[0].Sequence, FinishReason.Error, e.Message);
            return 0;
        }
    }

    /// <summary>The chunk holds prompt rows whose logits score a prompt token not scored yet.</summary>
    private static bool WantsAllRows(ScheduledChunk chunk) =>
        chunk.Sequence.PromptLogprobs is { } scored && scored.Count < chunk.Sequence.PromptLength && chunk.Start + chunk.Count >= scored.Count;

    /// <summary>
    /// The one-row-as-two trick buys batch invariance on the CPU device only; the CUDA launchers choose kernels by row
    /// count anyway, so there it would only add launches (three per linear of every one-row expert).
    /// </summary>
    private bool RowInvariantLinears => _options.BatchInvariant && _options.MaxRunningSequences > 1 && _model.Device is HostDevice;

    private float[] Run(List<ScheduledChunk> plan, bool[] allRows)
    {
        var caches = plan.Select(c => new PagedSequenceKv(_pool, c.Sequence.Blocks)).ToArray();
        BatchSequence[] batch = [.. plan.Select((c, i) => new BatchSequence(c.Sequence.Tokens.GetRange(c.Start, c.Count).ToArray(), c.Start, caches[i], allRows[i]))];
        // a decode step (one token per sequence) replays its bucket's graph; anything else runs eagerly
        return _graphs?.TryRun(batch)
            ?? _model.ForwardBatch(batch, rowInvariantLinears: RowInvariantLinears, absorbedOnly: _options.AbsorbedPrefill);
    }

    /// <summary>Decode graphs recorded and replayed so far, or null when steps run eagerly (CPU, or switched off).</summary>
    public (int Captures, long Replays, int Held, string? LastRecordingFailure)? DecodeGraphStats =>
        _graphs is { } g ? (g.Captures, g.Replays, g.Count, g.LastRecordingFailure) : null;

    /// <summary>
    /// Advances each sequence; scores prompt rows; where a chunk reached the last token, streams any forced tokens
    /// waiting, samples, and appends a forced continuation the sample triggers. Returns tokens sampled.
    /// </summary>
    private int Apply(List<ScheduledChunk> plan, bool[] allRows, float[] logits)
    {
        var vocab = _model.Config.VocabSize;
        var row = 0;
        // first every chunk's bookkeeping and forced tokens, in plan order; the rows that sample are collected
        var draws = new List<(Sequence Sequence, int Row)>();
        for (var i = 0; i < plan.Count; i++)
        {
            var chunk = plan[i];
            var sequence = chunk.Sequence;
            var rows = allRows[i] ? chunk.Count : 1;
            if (allRows[i]) ScorePrompt(sequence, chunk, logits.AsSpan(row * vocab, rows * vocab), vocab);
            var last = row + rows - 1;
            row += rows;
            _scheduler.Complete(chunk);
            if (!chunk.Samples) continue;

            var request = sequence.Request;
            var ended = false;
            while (!ended && sequence.Reported < sequence.Generated)      // forced at the start of the reply
                ended = Emit(sequence, sequence.Tokens[sequence.PromptLength + sequence.Reported], null);
            if (ended) continue;
            if (sequence.Generated >= request.MaxNewTokens)                 // max_tokens 0: the prompt was only scored
            {
                sequence.Outputs.TryWrite(new EngineOutput(-1, null, FinishOf(sequence, FinishReason.Length)) { PromptLogprobs = sequence.PromptLogprobs?.ToArray() });
                Retire(sequence);
                continue;
            }
            draws.Add((sequence, last));
        }

        // then the draws, rows in parallel: each sequence's sampler (its own random stream) draws once, as before; at the
        // real vocabulary a sampled row costs milliseconds of host work (BENCHMARKS.md, host sampling)
        var drawn = new (int Token, TokenLogprob? Logprob)[draws.Count];
        void Draw(int d)
        {
            var (sequence, last) = draws[d];
            var request = sequence.Request;
            var rowLogits = logits.AsSpan(last * vocab, vocab);
            var token = request.LogitBias is { Count: > 0 } bias ? sequence.Sampler.Next(Biased(rowLogits, bias)) : sequence.Sampler.Next(rowLogits);
            drawn[d] = (token, request.Logprobs || request.TopLogprobs > 0 ? Logprobs.Of(rowLogits, token, request.TopLogprobs) : null);
        }
        if (draws.Count > 1) Parallel.For(0, draws.Count, Draw);
        else if (draws.Count == 1) Draw(0);

        // and their tokens, in plan order
        for (var d = 0; d < draws.Count; d++)
        {
            var sequence = draws[d].Sequence;
            var request = sequence.Request;
            var (token, logprob) = drawn[d];
            sequence.Tokens.Add(token);
            if (Emit(sequence, token, logprob)) continue;
            if (!sequence.ForcedDone && request.Forced!.AfterToken == token)
            {
                sequence.ForcedDone = true;
                foreach (var forced in ForcedThatFit(sequence, request.Forced.Tokens))
                {
                    sequence.Tokens.Add(forced);
                    if (Emit(sequence, forced, null)) break;
                }
            }
        }
        return draws.Count;
    }

    /// <summary>Log-probabilities of the prompt tokens the chunk's rows predict (row r predicts the token after it).</summary>
    private static void ScorePrompt(Sequence sequence, ScheduledChunk chunk, ReadOnlySpan<float> chunkLogits, int vocab)
    {
        var scored = sequence.PromptLogprobs!;
        var top = sequence.Request.PromptLogprobs!.Value;
        for (var r = 0; r < chunk.Count; r++)
        {
            var next = chunk.Start + r + 1;
            if (next >= sequence.PromptLength) break;
            if (next < scored.Count) continue;                             // scored before a preemption
            scored.Add(Logprobs.Of(chunkLogits.Slice(r * vocab, vocab), sequence.Tokens[next], top));
        }
    }

    private static float[] Biased(ReadOnlySpan<float> logits, IReadOnlyDictionary<int, float> bias)
    {
        var biased = logits.ToArray();
        foreach (var (id, add) in bias) biased[id] += add;
        return biased;
    }

    /// <summary>Writes one generated token (its request's first output also carries the prompt logprobs); true when it ended the request.</summary>
    private bool Emit(Sequence sequence, int token, TokenLogprob? logprob)
    {
        var request = sequence.Request;
        var first = sequence.Reported == 0;
        sequence.Reported++;
        var reason = IsStop(request, token) ? FinishReason.Stop
            : sequence.Reported >= request.MaxNewTokens ? FinishReason.Length : (FinishReason?)null;
        sequence.Outputs.TryWrite(new EngineOutput(token, logprob, reason is { } r ? FinishOf(sequence, r) : null)
        {
            PromptLogprobs = first ? sequence.PromptLogprobs?.ToArray() : null,
        });
        if (reason is not null) Retire(sequence);
        return reason is not null;
    }

    private bool IsStop(EngineRequest request, int token) => !request.IgnoreEos && _eos.Contains(token) || request.StopTokenIds.Contains(token);

    /// <summary>The forced tokens that fit what max_tokens leaves, up to and including the first that stops the request.</summary>
    private List<int> ForcedThatFit(Sequence sequence, IReadOnlyList<int> forced)
    {
        var fit = new List<int>();
        foreach (var token in forced.Take(Math.Max(0, sequence.Request.MaxNewTokens - sequence.Generated)))
        {
            fit.Add(token);
            if (IsStop(sequence.Request, token)) break;
        }
        return fit;
    }

    private void FinishCancelled()
    {
        foreach (var sequence in _scheduler.Running.Concat(_scheduler.Waiting).Where(s => s.CancelRequested).ToArray())
            Finish(sequence, FinishReason.Cancelled);
    }

    /// <summary>Ends a request without a token (cancelled, error, shutdown).</summary>
    private void Finish(Sequence sequence, FinishReason reason, string? error = null)
    {
        if (sequence.State == SequenceState.Finished) return;
        sequence.Outputs.TryWrite(new EngineOutput(-1, null, FinishOf(sequence, reason, error)));
        Retire(sequence);
    }

    private void Retire(Sequence sequence)
    {
        LeaveQueue(sequence);
        _scheduler.Remove(sequence);
        sequence.Outputs.TryComplete();
        lock (_metricsLock) _metrics = _metrics with { RequestsFinished = _metrics.RequestsFinished + 1 };
    }

    /// <summary>A request leaves the bounded queue when first scheduled (or when it ends before that).</summary>
    private void LeaveQueue(Sequence sequence)
    {
        if (sequence.LeftQueue) return;
        sequence.LeftQueue = true;
        Interlocked.Decrement(ref _queued);
    }

    private static EngineFinish FinishOf(Sequence sequence, FinishReason reason, string? error = null) =>
        new(reason, sequence.PromptLength, sequence.CachedPromptTokens, sequence.Reported, error);

    private void PublishMetrics(int steps, int generated)
    {
        var blocks = _scheduler.Blocks;
        lock (_metricsLock)
            _metrics = _metrics with
            {
                Waiting = _scheduler.Waiting.Count(s => s.LeftQueue),   // preempted ones; GetMetrics adds the queue
                Running = _scheduler.Running.Count,
                KvBlocksUsed = blocks.Used,
                PromptTokens = _scheduler.PromptTokens,
                GeneratedTokens = _metrics.GeneratedTokens + generated,
                PrefixQueriedTokens = _scheduler.PrefixQueriedTokens,
                PrefixHitTokens = _scheduler.PrefixHitTokens,
                Preemptions = _scheduler.Preemptions,
                Steps = _metrics.Steps + steps,
            };
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping) return;
        _stopping = true;
        _wake.Release();
        await Task.Run(() => _thread.Join()).ConfigureAwait(false);
        _graphs?.Dispose();
        _pool.Dispose();                                                   // _wake stays: late cancel callbacks may still signal it
        if (_ownsModel) _model.Dispose();
    }
}
