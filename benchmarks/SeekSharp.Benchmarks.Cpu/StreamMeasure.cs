using System.Diagnostics;
using SeekSharp.Core;
using SeekSharp.Cpu;

namespace SeekSharp.Benchmarks.Cpu;

/// <summary>
/// Decode as the model runs it: one activation row against many distinct weight matrices in turn (the random
/// bench model's expert shapes, 384 MB of weights, far beyond the L3), so every byte comes from DRAM — unlike
/// <see cref="QuickMeasure"/>'s repeated single matrix, which the L3 holds. Reported next to the read
/// bandwidth measured just before, for the "≥ 50 % of bandwidth" goal.
/// </summary>
internal static class StreamMeasure
{
    private const long TotalBytes = 384L << 20;

    public static void Run(int passes)
    {
        var threads = Environment.ProcessorCount;
        using var backend = new CpuBackend(threads);
        Console.WriteLine($"{threads} threads, SIMD path {backend.Simd}; {passes} timed passes over {TotalBytes >> 20} MB of weights per dtype");
        foreach (var dtype in new[] { DType.F8E4M3, DType.BF16 })
        {
            foreach (var (outF, inF) in new[] { (1024, 2048), (2048, 1024) })
            {
                var shape = new GemvCase(dtype, outF, inF, 1);
                var weights = Enumerable.Range(0, (int)(TotalBytes / shape.WeightBytes)).Select(i => shape.CreateWeight(seed: i)).ToArray();
                var x = shape.CreateInput();
                var y = new float[outF];
                foreach (var w in weights) backend.Linear(w, x, 1, y);   // warm-up: JIT, page in
                var bandwidth = MemoryBandwidthProbe.Measure(threads, passes: 3);
                var best = double.MaxValue;
                for (var pass = 0; pass < passes; pass++)
                {
                    var clock = Stopwatch.StartNew();
                    foreach (var w in weights) backend.Linear(w, x, 1, y);
                    best = Math.Min(best, clock.Elapsed.TotalSeconds);
                }
                var gbps = weights.Length * shape.WeightBytes / best / 1e9;
                Console.WriteLine($"{shape,-20} x{weights.Length,-4} {gbps,6:F2} GB/s of weights, read bandwidth {bandwidth.ReadGBps,5:F1} GB/s: {gbps / bandwidth.ReadGBps,4:P0}");
            }
        }
    }
}
