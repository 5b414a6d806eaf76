namespace SeekSharp.Server.Benchmarking;

/// <summary>One request's measurements (seconds).</summary>
public sealed record RequestMeasurement(bool Success, int PromptTokens, int OutputTokens, double Ttft, double Latency, IReadOnlyList<double> InterTokenLatencies, string? Error)
{
    /// <summary>Mean time per output token after the first; null for single-token outputs.</summary>
    public double? Tpot => OutputTokens > 1 ? (Latency - Ttft) / (OutputTokens - 1) : null;
}

/// <summary>The benchmark's summary, printed and written as JSON.</summary>
public sealed record ServeBenchmarkResult(
    string Date,
    string Model,
    string Url,
    int NumRequests,
    double RequestRate,
    int MaxConcurrency,
    int InputLength,
    int OutputLength,
    double RangeRatio,
    int PrefixLength,
    int Completed,
    int Failed,
    double DurationSeconds,
    long TotalInputTokens,
    long TotalOutputTokens,
    double RequestThroughput,
    double OutputThroughput,
    double TotalTokenThroughput,
    LatencySummary Ttft,
    LatencySummary Tpot,
    LatencySummary Itl,
    LatencySummary E2eLatency,
    double? PrefixCacheHitRate,
    IReadOnlyList<string> Errors);
