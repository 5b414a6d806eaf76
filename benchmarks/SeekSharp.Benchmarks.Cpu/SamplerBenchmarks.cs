using BenchmarkDotNet.Attributes;
using SeekSharp.Models.Sampling;

namespace SeekSharp.Benchmarks.Cpu;

/// <summary>
/// Sampler.Next over one row of logits at DeepSeek-V3.2's vocabulary (129,280): the host work the serving engine does
/// per sequence and decode step, once for every row of a batch.
/// </summary>
public class SamplerBenchmarks
{
    private float[] _logits = null!;
    private Sampler _sampler = null!;

    /// <summary>greedy; temperature 1; temperature 1, top-p 0.95; temperature 0.6, top-p 0.95, top-k 50.</summary>
    [Params("greedy", "t1", "t1-p0.95", "t0.6-p0.95-k50")]
    public string Setting { get; set; } = "greedy";

    [GlobalSetup]
    public void Setup()
    {
        // a model-like row: a normal background and a few tokens far above it
        var random = new Random(1);
        _logits = new float[129280];
        for (var i = 0; i < _logits.Length; i++)
            _logits[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()) * 2);
        for (var i = 0; i < 20; i++) _logits[random.Next(_logits.Length)] = 15 + random.Next(5);
        _sampler = new Sampler(Setting switch
        {
            "greedy" => new SamplingParams(),
            "t1" => new SamplingParams(1f, Seed: 5),
            "t1-p0.95" => new SamplingParams(1f, 0.95f, Seed: 5),
            _ => new SamplingParams(0.6f, 0.95f, 50, Seed: 5),
        });
    }

    [Benchmark]
    public int Next() => _sampler.Next(_logits);
}
