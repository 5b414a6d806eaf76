namespace SeekSharp.Server.Benchmarking;

/// <summary>Mean, median and tail of a sample, in milliseconds.</summary>
public sealed record LatencySummary(double MeanMs, double P50Ms, double P90Ms, double P99Ms, int Count)
{
    public static LatencySummary Of(IEnumerable<double> seconds)
    {
        var sorted = seconds.Select(s => s * 1000).Order().ToArray();
        if (sorted.Length == 0) return new LatencySummary(0, 0, 0, 0, 0);
        return new LatencySummary(sorted.Average(), Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99), sorted.Length);
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default).</summary>
    public static double Percentile(double[] sorted, double percent)
    {
        var rank = percent / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
