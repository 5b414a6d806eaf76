using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SeekSharp.Cpu;

/// <summary>
/// A fixed set of dedicated threads for data-parallel loops. <see cref="For(int, Action{int, int})"/> cuts
/// [0, count) into contiguous chunks that the calling thread and the workers claim through one shared counter,
/// so a late worker costs nothing but its share. Dispatch allocates one small job object per call (no tasks).
/// Idle workers spin briefly on a generation counter (back-to-back calls, as in decode, never sleep) and then
/// block on a monitor. A call made from inside a running body, of any pool, runs inline (no deadlock); calls
/// from different outside threads are serialised. The first exception a body throws is rethrown to the caller
/// with its original stack, after every claimed chunk has finished.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker spins for the next job before it blocks.</summary>
    private static readonly long s_spinTicks = Stopwatch.Frequency / 20_000; // 50 µs

    [ThreadStatic] private static int t_bodyDepth;

    private readonly Thread[] _workers;
    private readonly object _wakeLock = new();
    private readonly object _callLock = new();
    private Job? _job;
    private int _generation;
    private int _sleepers;
    private volatile bool _disposed;

    /// <param name="threads">Threads taking part in a loop, the caller included; 0 = Environment.ProcessorCount.</param>
    public WorkerPool(int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        _workers = new Thread[Threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"SeekSharp.Cpu worker {i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Degree of parallelism: the dedicated workers plus the calling thread.</summary>
    public int Threads { get; }

    /// <summary>True on a thread that is running a loop body (where a nested For runs inline).</summary>
    public static bool IsInsideBody => t_bodyDepth > 0;

    /// <summary>body(start, end) over min(count, Threads) contiguous chunks of [0, count); blocks until all ran.</summary>
    public void For(int count, Action<int, int> body) => For(count, Threads, body);

    /// <summary>
    /// body(start, end) over min(count, chunks) contiguous, near-equal chunks of [0, count); blocks until all
    /// ran. More chunks than threads balance uneven work or a preempted worker.
    /// </summary>
    public void For(int count, int chunks, Action<int, int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunks);
        ArgumentNullException.ThrowIfNull(body);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count == 0) return;
        chunks = Math.Min(chunks, count);
        if (chunks == 1 || _workers.Length == 0 || t_bodyDepth > 0)
        {
            RunInline(count, body);
            return;
        }
        lock (_callLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var job = new Job(body, count, chunks);
            Volatile.Write(ref _job, job);
            lock (_wakeLock)
            {
                _generation++;
                if (_sleepers > 0) Monitor.PulseAll(_wakeLock);
            }
            RunChunks(job);
            job.WaitUntilDone();
            Volatile.Write(ref _job, null); // let the body's closure go
            if (job.Error is { } error) ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>Stops and joins the workers; a loop in progress finishes first.</summary>
    public void Dispose()
    {
        lock (_callLock)
        {
            if (_disposed) return;
            _disposed = true;
            lock (_wakeLock)
            {
                _generation++;
                Monitor.PulseAll(_wakeLock);
            }
        }
        foreach (var worker in _workers) worker.Join();
    }

    private static void RunInline(int count, Action<int, int> body)
    {
        t_bodyDepth++;
        try { body(0, count); }
        finally { t_bodyDepth--; }
    }

    private static void RunChunks(Job job)
    {
        t_bodyDepth++;
        try { job.RunChunks(); }
        finally { t_bodyDepth--; }
    }

    private void WorkerLoop()
    {
        var seen = 0;
        while (true)
        {
            seen = WaitForGeneration(seen);
            if (_disposed) return;
            if (Volatile.Read(ref _job) is { } job) RunChunks(job);
        }
    }

    /// <summary>Spins for a short while, then blocks, until the generation differs from <paramref name="seen"/>.</summary>
    private int WaitForGeneration(int seen)
    {
        var start = Stopwatch.GetTimestamp();
        var spins = 0;
        while (Stopwatch.GetTimestamp() - start < s_spinTicks)
        {
            var generation = Volatile.Read(ref _generation);
            if (generation != seen) return generation;
            // Yield now and then so a spinning worker does not starve the thread that will give it work.
            if (++spins % 64 == 0) Thread.Yield();
            else Thread.SpinWait(16);
        }
        lock (_wakeLock)
        {
            _sleepers++;
            while (_generation == seen) Monitor.Wait(_wakeLock);
            _sleepers--;
            return _generation;
        }
    }

    /// <summary>One For call: the chunks still to claim, the count finished, the first failure.</summary>
    private sealed class Job(Action<int, int> body, int count, int chunks)
    {
        private int _nextChunk;
        private int _finished;
        private volatile bool _done;
        private Exception? _error;

        public Exception? Error => Volatile.Read(ref _error);

        public void RunChunks()
        {
            while (true)
            {
                var chunk = Interlocked.Increment(ref _nextChunk) - 1;
                if (chunk >= chunks) return;
                if (Volatile.Read(ref _error) is null)
                {
                    try { body(Start(chunk), Start(chunk + 1)); }
                    catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
                }
                if (Interlocked.Increment(ref _finished) == chunks)
                {
                    lock (this)
                    {
                        _done = true;
                        Monitor.PulseAll(this);
                    }
                }
            }
        }

        public void WaitUntilDone()
        {
            var spinner = new SpinWait();
            for (var i = 0; i < 200 && !_done; i++) spinner.SpinOnce(sleep1Threshold: -1);
            if (_done) return;
            lock (this)
            {
                while (!_done) Monitor.Wait(this);
            }
        }

        private int Start(int chunk) => (int)((long)count * chunk / chunks);
    }
}
