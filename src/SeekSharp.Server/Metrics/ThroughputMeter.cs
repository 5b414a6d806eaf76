using System.Diagnostics;

namespace SeekSharp.Server.Metrics;

/// <summary>Events per second over a sliding window of whole seconds (generated tokens per second for /metrics).</summary>
public sealed class ThroughputMeter(int windowSeconds = 10)
{
    private readonly long[] _perSecond = new long[windowSeconds];
    private readonly long[] _secondOf = new long[windowSeconds];
    private readonly Lock _lock = new();

    public void Add(long count, long? timestamp = null)
    {
        var second = SecondOf(timestamp ?? Stopwatch.GetTimestamp());
        var slot = (int)(second % windowSeconds);
        lock (_lock)
        {
            if (_secondOf[slot] != second)
            {
                _secondOf[slot] = second;
                _perSecond[slot] = 0;
            }
            _perSecond[slot] += count;
        }
    }

    /// <summary>The average rate over the last full window (the current, partial second excluded).</summary>
    public double PerSecond(long? timestamp = null)
    {
        var now = SecondOf(timestamp ?? Stopwatch.GetTimestamp());
        long total = 0;
        lock (_lock)
        {
            for (var i = 0; i < windowSeconds; i++)
            {
                var age = now - _secondOf[i];
                if (age >= 1 && age <= windowSeconds) total += _perSecond[i];
            }
        }
        return (double)total / windowSeconds;
    }

    private static long SecondOf(long timestamp) => timestamp / Stopwatch.Frequency;
}
