using System.Diagnostics;
using SeekSharp.Cpu;

namespace SeekSharp.Benchmarks.Cpu;

/// <summary>
/// A plain timing loop (no BenchmarkDotNet): every standard case on 1 thread and on all threads, reported as
/// GB/s of weight bytes read and GMAC/s, next to the measured memory bandwidth of this machine.
/// </summary>
internal static class QuickMeasure
{
    public static void Run(double secondsPerCase, string? caseFilter = null)
    {
        var all = Environment.ProcessorCount;
        Console.WriteLine($"{Environment.ProcessorCount} cores, SIMD path {SimdPaths.Best}, .NET {Environment.Version}");
        foreach (var threads in all == 1 ? new[] { 1 } : new[] { 1, all })
        {
            var bandwidth = MemoryBandwidthProbe.Measure(threads);
            Console.WriteLine($"memory bandwidth, {threads} thread(s): copy {bandwidth.CopyGBps:F1} GB/s (read+write), read {bandwidth.ReadGBps:F1} GB/s");
        }
        using (var pool = new WorkerPool(all))
        {
            var dispatch = BestSecondsPerCall(() => pool.For(all, static (_, _) => { }), Math.Min(secondsPerCase, 1.0));
            Console.WriteLine($"worker pool: {dispatch * 1e6:F2} µs per For over {all} threads with an empty body");
        }
        Console.WriteLine();
        Console.WriteLine($"{"case",-22} {"threads",7} {"ms/call",9} {"weight GB/s",12} {"GMAC/s",8}");
        foreach (var c in GemvCase.Standard)
        {
            if (caseFilter is not null && !c.ToString().Contains(caseFilter, StringComparison.Ordinal)) continue;
            var w = c.CreateWeight();
            var x = c.CreateInput();
            var y = new float[c.Rows * c.Out];
            foreach (var threads in all == 1 ? new[] { 1 } : new[] { 1, all })
            {
                using var backend = new CpuBackend(threads);
                var seconds = BestSecondsPerCall(() => backend.Linear(w, x, c.Rows, y), secondsPerCase);
                Console.WriteLine($"{c,-22} {threads,7} {seconds * 1e3,9:F3} {c.WeightBytes / seconds / 1e9,12:F2} {c.MultiplyAdds / seconds / 1e9,8:F2}");
            }
        }
    }

    /// <summary>Warms up, then times batches for about <paramref name="budget"/> seconds; the fastest batch counts.</summary>
    private static double BestSecondsPerCall(Action call, double budget)
    {
        for (var i = 0; i < 3; i++) call();
        var probe = Stopwatch.StartNew();
        call();
        var perBatch = Math.Max(1, (int)(0.05 / Math.Max(probe.Elapsed.TotalSeconds, 1e-6)));
        var best = double.MaxValue;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < budget)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < perBatch; i++) call();
            best = Math.Min(best, clock.Elapsed.TotalSeconds / perBatch);
        }
        return best;
    }
}
