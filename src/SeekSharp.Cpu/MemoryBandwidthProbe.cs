using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SeekSharp.Cpu;

/// <summary>
/// Measured memory bandwidth of this machine. CopyGBps counts read + write bytes (2 × buffer per pass);
/// ReadGBps counts the bytes read by a SIMD sum. Both are the best of several passes.
/// </summary>
public sealed record MemoryBandwidth(double CopyGBps, double ReadGBps, int Threads, long BufferBytes);

/// <summary>Copy and read bandwidth over large native buffers, split across a worker pool.</summary>
public static unsafe class MemoryBandwidthProbe
{
    /// <summary>Bytes per buffer by default: far beyond any last-level cache.</summary>
    public const long DefaultBufferBytes = 512L << 20;

    /// <summary>Sink for the read sums, so the JIT cannot drop the reads.</summary>
    private static float s_sink;

    /// <param name="threads">Threads to spread each pass over (0 = Environment.ProcessorCount).</param>
    /// <param name="bufferBytes">Size of each of the two buffers.</param>
    /// <param name="passes">Passes per measurement; the fastest counts.</param>
    public static MemoryBandwidth Measure(int threads = 0, long bufferBytes = DefaultBufferBytes, int passes = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 4096L);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(passes);
        using var pool = new WorkerPool(threads);
        var count = bufferBytes / sizeof(float);
        var bytes = count * sizeof(float);
        var source = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        var destination = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            var parts = pool.Threads;
            // Touch every page first (from the threads that will use them) so page faults stay out of the timings.
            Parallel(pool, parts, count, (_, start, length) =>
            {
                new Span<float>(source + start, checked((int)length)).Fill(1f);
                new Span<float>(destination + start, checked((int)length)).Clear();
            });
            double bestCopy = double.MaxValue, bestRead = double.MaxValue;
            var sums = new float[parts];
            for (var pass = 0; pass < passes; pass++)
            {
                var clock = Stopwatch.StartNew();
                Parallel(pool, parts, count, (_, start, length) =>
                    Buffer.MemoryCopy(source + start, destination + start, length * sizeof(float), length * sizeof(float)));
                bestCopy = Math.Min(bestCopy, clock.Elapsed.TotalSeconds);

                clock.Restart();
                Parallel(pool, parts, count, (part, start, length) =>
                    sums[part] = TensorPrimitives.Sum(new ReadOnlySpan<float>(source + start, checked((int)length))));
                bestRead = Math.Min(bestRead, clock.Elapsed.TotalSeconds);
            }
            s_sink = sums.Sum();
            return new MemoryBandwidth(2.0 * bytes / bestCopy / 1e9, bytes / bestRead / 1e9, pool.Threads, bytes);
        }
        finally
        {
            NativeMemory.AlignedFree(destination);
            NativeMemory.AlignedFree(source);
        }
    }

    /// <summary>body(part, start, length) over <paramref name="parts"/> equal contiguous pieces of [0, count), one per thread.</summary>
    private static void Parallel(WorkerPool pool, int parts, long count, Action<int, long, long> body) =>
        pool.For(parts, parts, (p0, p1) =>
        {
            for (var p = p0; p < p1; p++)
            {
                var start = count * p / parts;
                body(p, start, count * (p + 1) / parts - start);
            }
        });
}
