namespace SeekSharp.Server.Benchmarking;

/// <summary>What `seek bench serve` sends (in the manner of vLLM's `bench serve` with its random dataset).</summary>
public sealed record ServeBenchmarkOptions
{
    public Uri BaseUrl { get; init; } = new("http://127.0.0.1:8000");

    /// <summary>The model id to send; null asks /v1/models.</summary>
    public string? Model { get; init; }

    public string? ApiKey { get; init; }

    public int NumRequests { get; init; } = 100;

    /// <summary>Requests per second with Poisson arrivals; infinity sends all at once.</summary>
    public double RequestRate { get; init; } = double.PositiveInfinity;

    /// <summary>At most this many requests in flight (0 = no limit).</summary>
    public int MaxConcurrency { get; init; }

    public int InputLength { get; init; } = 128;

    public int OutputLength { get; init; } = 64;

    /// <summary>Lengths are drawn uniformly from [len·(1−r), len·(1+r)].</summary>
    public double RangeRatio { get; init; }

    /// <summary>Tokens every prompt starts with (exercises the prefix cache).</summary>
    public int PrefixLength { get; init; }

    /// <summary>Prompt ids are drawn from [FirstTokenId, LastTokenId]: ordinary BPE tokens in every DeepSeek tokenizer.</summary>
    public int FirstTokenId { get; init; } = 3;

    public int LastTokenId { get; init; } = 2999;

    public int Seed { get; init; }

    /// <summary>Send ignore_eos so every request generates exactly its output length.</summary>
    public bool IgnoreEos { get; init; } = true;
}
