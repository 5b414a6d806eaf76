using System.Diagnostics;
using SeekSharp.Server.Metrics;

namespace SeekSharp.Server.Endpoints;

/// <summary>One generation's timestamps, recorded into the server metrics when it ends.</summary>
public sealed class GenerationClock(ServerMetrics metrics)
{
    private long _firstToken;
    private long _lastToken;

    public long Arrived { get; } = Stopwatch.GetTimestamp();

    public int Tokens { get; private set; }

    public void Token()
    {
        var now = Stopwatch.GetTimestamp();
        if (Tokens == 0) _firstToken = now;
        _lastToken = now;
        Tokens++;
        metrics.GeneratedTokens.Add(1, now);
    }

    /// <summary>Records TTFT, TPOT and latency (nothing when no token came).</summary>
    public void Finish()
    {
        if (Tokens > 0) metrics.RecordGeneration(Arrived, _firstToken, _lastToken, Tokens);
    }
}
