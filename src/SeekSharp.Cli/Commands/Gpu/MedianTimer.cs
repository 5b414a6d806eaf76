using System.Diagnostics;
using SeekSharp.Core.Compute;

namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// Median wall time of a body over a number of repetitions, after one untimed warm-up run; every run ends with a device
/// synchronize, so the time is the work's, not its launch's.
/// </summary>
internal sealed class MedianTimer(IComputeDevice device, int repetitions, Action<string> log)
{
    public int Repetitions { get; } = Math.Max(1, repetitions);

    public double Time(Action body) => Time(body, Repetitions);

    public double Time(Action body, int repetitions)
    {
        body();
        device.Synchronize();
        var times = new double[Math.Max(1, repetitions)];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            body();
            device.Synchronize();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        var median = times[times.Length / 2];
        log($"  {median,10:F3} ms");
        return median;
    }
}
