namespace SeekSharp.Cpu.Tests;

public class WorkerPoolTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 10)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 1001)]
    [InlineData(4, 3)]
    [InlineData(4, 100_000)]
    public void EveryIndexRunsExactlyOnceInContiguousChunks(int threads, int count)
    {
        using var pool = new WorkerPool(threads);
        var hits = new int[count];
        var chunks = new System.Collections.Concurrent.ConcurrentBag<(int Start, int End)>();
        pool.For(count, (start, end) =>
        {
            Assert.True(start < end);
            chunks.Add((start, end));
            for (var i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        });
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.True(chunks.Count <= Math.Max(1, Math.Min(count, threads)));
        // Sorted chunks tile [0, count) with no gap or overlap.
        var next = 0;
        foreach (var (start, end) in chunks.OrderBy(c => c.Start))
        {
            Assert.Equal(next, start);
            next = end;
        }
        Assert.Equal(count, next);
    }

    [Theory]
    [InlineData(7, 3)]
    [InlineData(64, 16)]
    [InlineData(5, 50)]
    public void ExplicitChunkCountIsHonoured(int count, int chunks)
    {
        using var pool = new WorkerPool(2);
        var seen = 0;
        var hits = new int[count];
        pool.For(count, chunks, (start, end) =>
        {
            Interlocked.Increment(ref seen);
            for (var i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        });
        Assert.Equal(Math.Min(count, chunks), seen);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void WorkersRunConcurrentlyWithTheCaller()
    {
        using var pool = new WorkerPool(2);
        var arrived = 0;
        var threadIds = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        pool.For(2, (_, _) =>
        {
            threadIds[Environment.CurrentManagedThreadId] = true;
            Interlocked.Increment(ref arrived);
            // Both chunks must be in flight at once: each waits for the other.
            SpinWait.SpinUntil(() => Volatile.Read(ref arrived) == 2, TimeSpan.FromSeconds(10));
        });
        Assert.Equal(2, arrived);
        Assert.Equal(2, threadIds.Count);
    }

    [Fact]
    public void ExceptionReachesTheCallerWithItsTypeAndThePoolStaysUsable()
    {
        using var pool = new WorkerPool(3);
        var error = Assert.Throws<InvalidOperationException>(() => pool.For(30, 30, (start, _) =>
        {
            if (start == 17) throw new InvalidOperationException("chunk 17");
        }));
        Assert.Equal("chunk 17", error.Message);

        var sum = 0L;
        pool.For(1000, (start, end) =>
        {
            for (var i = start; i < end; i++) Interlocked.Add(ref sum, i);
        });
        Assert.Equal(999L * 1000 / 2, sum);
    }

    [Fact]
    public void ExceptionOnTheInlinePathPropagates()
    {
        using var pool = new WorkerPool(1);
        Assert.Throws<ArgumentException>(() => pool.For(5, (_, _) => throw new ArgumentException("inline")));
    }

    [Fact]
    public void NestedForRunsInlineWithoutDeadlock()
    {
        using var pool = new WorkerPool(2);
        var hits = new int[8 * 50];
        pool.For(8, (o0, o1) =>
        {
            Assert.True(WorkerPool.IsInsideBody);
            for (var outer = o0; outer < o1; outer++)
            {
                var thread = Environment.CurrentManagedThreadId;
                pool.For(50, (i0, i1) =>
                {
                    Assert.Equal(thread, Environment.CurrentManagedThreadId);
                    for (var i = i0; i < i1; i++) Interlocked.Increment(ref hits[outer * 50 + i]);
                });
            }
        });
        Assert.False(WorkerPool.IsInsideBody);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void ManyRapidCallsAllComplete()
    {
        using var pool = new WorkerPool(2);
        var total = 0L;
        for (var call = 0; call < 20_000; call++)
        {
            var count = call % 7 + 1;
            pool.For(count, (start, end) => Interlocked.Add(ref total, end - start));
        }
        var expected = Enumerable.Range(0, 20_000).Sum(call => (long)(call % 7 + 1));
        Assert.Equal(expected, total);
    }

    [Fact]
    public void CallsFromSeveralOutsideThreadsAreSerialisedCorrectly()
    {
        using var pool = new WorkerPool(2);
        var totals = new long[4];
        var callers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (var call = 0; call < 500; call++)
                pool.For(64, (start, end) => Interlocked.Add(ref totals[t], end - start));
        })).ToArray();
        foreach (var caller in callers) caller.Start();
        foreach (var caller in callers) Assert.True(caller.Join(TimeSpan.FromSeconds(60)));
        Assert.All(totals, t => Assert.Equal(500L * 64, t));
    }

    [Fact]
    public void DisposeStopsWorkersAndLaterCallsThrow()
    {
        var pool = new WorkerPool(3);
        var workerThreads = new System.Collections.Concurrent.ConcurrentDictionary<Thread, bool>();
        pool.For(3, 3, (_, _) =>
        {
            workerThreads[Thread.CurrentThread] = true;
            Thread.Sleep(20); // hold the chunk so the workers get to claim the others
        });
        pool.Dispose(); // joins the workers
        pool.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => pool.For(10, (_, _) => { }));
        Assert.All(workerThreads.Keys.Where(t => t != Thread.CurrentThread), t => Assert.False(t.IsAlive));
    }

    [Fact]
    public void DefaultSizeIsProcessorCountAndBadArgumentsThrow()
    {
        using var pool = new WorkerPool();
        Assert.Equal(Environment.ProcessorCount, pool.Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(-1, (_, _) => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(4, 0, (_, _) => { }));
        Assert.Throws<ArgumentNullException>(() => pool.For(4, null!));
    }
}
