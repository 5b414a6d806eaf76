namespace SeekSharp.Engine;

/// <summary>
/// The token-level inference engine: prompts go in as token ids, sampled tokens come out as a stream. Chat encoding,
/// tool-call parsing, stop strings and HTTP live above it (server, agents); the engine thread only schedules, runs
/// the model and samples.
/// </summary>
public interface IInferenceEngine : IAsyncDisposable
{
    /// <summary>What the loaded model accepts.</summary>
    EngineModelInfo Model { get; }

    /// <summary>
    /// Queues <paramref name="request"/> and streams its outputs, one per sampled token; the last output carries
    /// <see cref="EngineOutput.Finish"/>. Throws <see cref="EngineRequestException"/> (naming the field) for a request
    /// the engine can never run, and <see cref="EngineOverloadedException"/> when the bounded queue is full — both
    /// before anything is queued. Cancelling <paramref name="cancellationToken"/> (e.g. a client disconnect) aborts the
    /// request and frees its cache blocks; the stream then ends with <see cref="FinishReason.Cancelled"/> or throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    IAsyncEnumerable<EngineOutput> GenerateAsync(EngineRequest request, CancellationToken cancellationToken = default);

    /// <summary>A consistent snapshot of the counters (for /metrics and benchmarks).</summary>
    EngineMetrics GetMetrics();
}
