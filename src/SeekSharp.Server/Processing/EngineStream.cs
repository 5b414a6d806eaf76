using SeekSharp.Engine;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Processing;

/// <summary>
/// One request's output stream from the engine, started eagerly: <see cref="StartAsync"/> waits for the first output,
/// so a request the engine refuses (bad field, full queue) becomes a proper 4xx before any response byte is written.
/// <see cref="Stop"/> ends the generation early (a stop string was found).
/// </summary>
public sealed class EngineStream : IAsyncDisposable
{
    private readonly IAsyncEnumerator<EngineOutput> _outputs;
    private readonly CancellationTokenSource _stop;
    private bool _firstPending = true;

    private EngineStream(IAsyncEnumerator<EngineOutput> outputs, CancellationTokenSource stop)
    {
        _outputs = outputs;
        _stop = stop;
    }

    /// <summary>The prompt's log-probabilities (first null) when the request asked; known once started.</summary>
    public IReadOnlyList<TokenLogprob?>? PromptLogprobs { get; private set; }

    /// <summary>Set when the last output carried <see cref="EngineOutput.Finish"/>.</summary>
    public EngineFinish? Finish { get; private set; }

    public static async Task<EngineStream> StartAsync(IInferenceEngine engine, EngineRequest request, CancellationToken requestAborted)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        IAsyncEnumerator<EngineOutput>? outputs = null;
        try
        {
            outputs = engine.GenerateAsync(request, stop.Token).GetAsyncEnumerator(stop.Token);
            if (!await outputs.MoveNextAsync().ConfigureAwait(false))
                throw ApiException.Internal("the engine ended the request without any output");
            var stream = new EngineStream(outputs, stop);
            stream.Note(outputs.Current);
            return stream;
        }
        catch (Exception e)
        {
            if (outputs is not null) await outputs.DisposeAsync().ConfigureAwait(false);
            stop.Dispose();
            throw e switch
            {
                EngineRequestException bad => ApiException.BadRequest(bad.Field, bad.Message),
                EngineOverloadedException full => ApiException.Overloaded(full.Message),
                _ => e,
            };
        }
    }

    /// <summary>Outputs in order, the first included; ends after the output carrying the finish, or when stopped.</summary>
    public async IAsyncEnumerable<EngineOutput> ReadAllAsync()
    {
        if (_firstPending)
        {
            _firstPending = false;
            yield return _outputs.Current;
        }
        while (Finish is null && !_stop.IsCancellationRequested)
        {
            bool more;
            try
            {
                more = await _outputs.MoveNextAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                yield break;
            }
            if (!more) yield break;
            Note(_outputs.Current);
            yield return _outputs.Current;
        }
    }

    /// <summary>Ends the generation now (its cache blocks are freed by the engine).</summary>
    public void Stop() => _stop.Cancel();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Finish is null && !_stop.IsCancellationRequested) _stop.Cancel();
            await _outputs.DisposeAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the generation was abandoned on purpose
        }
        finally
        {
            _stop.Dispose();
        }
    }

    private void Note(EngineOutput output)
    {
        if (output.Finish is not null) Finish = output.Finish;
        if (output.PromptLogprobs is not null) PromptLogprobs = output.PromptLogprobs;
    }
}
