using System.Globalization;
using System.Text;

namespace SeekSharp.Server.Metrics;

/// <summary>A thread-safe Prometheus histogram (cumulative buckets, sum, count) over seconds.</summary>
public sealed class Histogram(string name, string help, IReadOnlyList<double> upperBounds)
{
    private readonly double[] _bounds = [.. upperBounds];
    private readonly long[] _counts = new long[upperBounds.Count + 1];
    private readonly Lock _lock = new();
    private double _sum;
    private long _count;

    public string Name { get; } = name;

    public long Count
    {
        get { lock (_lock) return _count; }
    }

    public void Observe(double value)
    {
        var bucket = Array.FindIndex(_bounds, bound => value <= bound);
        lock (_lock)
        {
            _counts[bucket < 0 ? _bounds.Length : bucket]++;
            _sum += value;
            _count++;
        }
    }

    public void WriteTo(StringBuilder text)
    {
        long[] counts;
        double sum;
        long count;
        lock (_lock)
        {
            counts = (long[])_counts.Clone();
            sum = _sum;
            count = _count;
        }
        text.Append("# HELP ").Append(Name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(Name).Append(" histogram\n");
        long cumulative = 0;
        for (var i = 0; i < _bounds.Length; i++)
        {
            cumulative += counts[i];
            text.Append(Name).Append("_bucket{le=\"").Append(_bounds[i].ToString("R", CultureInfo.InvariantCulture)).Append("\"} ")
                .Append(cumulative).Append('\n');
        }
        text.Append(Name).Append("_bucket{le=\"+Inf\"} ").Append(count).Append('\n');
        text.Append(Name).Append("_sum ").Append(sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append(Name).Append("_count ").Append(count).Append('\n');
    }
}
