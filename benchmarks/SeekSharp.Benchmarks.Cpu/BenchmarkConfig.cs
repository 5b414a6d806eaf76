using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SeekSharp.Benchmarks.Cpu;

internal static class BenchmarkConfig
{
    /// <param name="defaultJob">Add our default job (3 warm-ups, 10 iterations); false when the command line names a job.</param>
    public static IConfig Create(bool defaultJob)
    {
        var config = DefaultConfig.Instance.AddColumn(new ThroughputColumn("Weight GB/s", c => c.WeightBytes), new ThroughputColumn("GMAC/s", c => c.MultiplyAdds));
        return defaultJob ? config.AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10)) : config;
    }
}

/// <summary>A per-case quantity of the <see cref="GemvCase"/> parameter divided by the mean time, in units of 10^9 per second.</summary>
internal sealed class ThroughputColumn(string name, Func<GemvCase, long> amount) : IColumn
{
    public string Id => $"{nameof(ThroughputColumn)}.{name}";
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"{name}: per second at the mean time";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (mean is null || benchmarkCase.Parameters[nameof(LinearBenchmarks.Case)] is not GemvCase c) return "-";
        return (amount(c) / (mean.Value * 1e-9) / 1e9).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}
