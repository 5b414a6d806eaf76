using System.Numerics;
using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Runtime;

/// <summary>A block of device memory from <see cref="CachingAllocator"/>: Size is the rounded size class.</summary>
public readonly record struct DeviceBlock(nint Pointer, long Size);

/// <summary>
/// Device memory with per-size-class free lists, so the forward pass's temporaries cost no cuMemAlloc/cuMemFree (which
/// synchronise the device) after the first step. Size classes: powers of two from 512 B to 1 MiB, then multiples of
/// 2 MiB. A freed block goes back to its list; reuse is safe because every op runs on one stream, in order. When
/// cuMemAlloc runs out of memory the cached blocks are returned to the driver and the allocation is tried once more.
/// Dispose frees every block ever allocated, live or cached. Thread-safe.
/// </summary>
public sealed unsafe class CachingAllocator(CudaContext context) : IDisposable
{
    private const long SmallLimit = 1 << 20;
    private const long MinimumClass = 512;
    private const long LargeGranule = 2 << 20;

    private readonly object _lock = new();
    private readonly Dictionary<nint, DeviceMemoryHandle> _owned = [];
    private readonly Dictionary<long, Stack<nint>> _free = [];
    private bool _disposed;
    // during a graph capture: blocks freed since BeginHold, by size class; reusable by later allocations of the same
    // capture (the recorded work runs in stream order), then owned by the graph
    private Dictionary<long, Stack<nint>>? _held;

    /// <summary>Bytes in blocks handed out and not yet freed.</summary>
    public long LiveBytes { get; private set; }

    /// <summary>Bytes in free lists, ready for reuse.</summary>
    public long CachedBytes { get; private set; }

    /// <summary>The size class a request of <paramref name="bytes"/> is served from.</summary>
    public static long SizeClass(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes <= MinimumClass) return MinimumClass;
        if (bytes <= SmallLimit) return (long)BitOperations.RoundUpToPowerOf2((ulong)bytes);
        return (bytes + LargeGranule - 1) / LargeGranule * LargeGranule;
    }

    /// <summary>A block of at least <paramref name="bytes"/> (contents undefined).</summary>
    public DeviceBlock Allocate(long bytes)
    {
        var size = SizeClass(bytes);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_held is not null && _held.TryGetValue(size, out var captured) && captured.Count > 0)
                return new DeviceBlock(captured.Pop(), size);   // still counted live: it was never released
            if (_free.TryGetValue(size, out var list) && list.Count > 0)
            {
                CachedBytes -= size;
                LiveBytes += size;
                return new DeviceBlock(list.Pop(), size);
            }
            context.MakeCurrent();
            var driver = context.Driver;
            nint pointer;
            var result = driver.cuMemAlloc(&pointer, (nuint)size);
            if (result == CuDriver.ErrorOutOfMemory && CachedBytes > 0)
            {
                ReleaseCachedLocked();
                result = driver.cuMemAlloc(&pointer, (nuint)size);
            }
            if (result == CuDriver.ErrorOutOfMemory)
            {
                throw new OutOfMemoryException(
                    $"CUDA device memory exhausted allocating {size:N0} bytes ({LiveBytes:N0} bytes live in this allocator)",
                    new CudaException("CUDA driver", "cuMemAlloc", result, driver.ErrorName(result)));
            }
            driver.ThrowIfFailed(result, $"cuMemAlloc({size})");
            _owned.Add(pointer, new DeviceMemoryHandle(driver, context.Handle, pointer));
            LiveBytes += size;
            return new DeviceBlock(pointer, size);
        }
    }

    /// <summary>Returns a block to its free list. Never throws; a no-op after Dispose.</summary>
    public void Free(DeviceBlock block)
    {
        lock (_lock)
        {
            if (_disposed || !_owned.ContainsKey(block.Pointer)) return;
            if (_held is not null)
            {
                // a graph under capture still uses it: only the same capture may use it again, until the graph goes
                if (!_held.TryGetValue(block.Size, out var captured)) _held[block.Size] = captured = new Stack<nint>();
                captured.Push(block.Pointer);
                return;
            }
            if (!_free.TryGetValue(block.Size, out var list)) _free[block.Size] = list = new Stack<nint>();
            list.Push(block.Pointer);
            LiveBytes -= block.Size;
            CachedBytes += block.Size;
        }
    }

    /// <summary>
    /// Until <see cref="EndHold"/>, freed blocks stay out of the free lists: a CUDA graph being captured keeps their
    /// addresses, so nothing else may get them while the graph lives. Later allocations of the same capture reuse them
    /// (the recorded work runs in order on one stream, as the eager run does), so a graph holds about one call's peak of
    /// temporaries rather than all of them. Nothing allocated inside a capture may outlive it. The caller frees the
    /// held blocks when the graph goes.
    /// </summary>
    public void BeginHold()
    {
        lock (_lock)
        {
            if (_held is not null) throw new InvalidOperationException("the allocator is already holding blocks for a graph capture");
            _held = [];
        }
    }

    /// <summary>The blocks freed since <see cref="BeginHold"/> and not handed out again (still counted live); frees go to the lists again.</summary>
    public List<DeviceBlock> EndHold()
    {
        lock (_lock)
        {
            var held = new List<DeviceBlock>();
            foreach (var (size, pointers) in _held ?? [])
                foreach (var pointer in pointers) held.Add(new DeviceBlock(pointer, size));
            _held = null;
            return held;
        }
    }

    /// <summary>Gives every cached (free) block back to the driver.</summary>
    public void ReleaseCached()
    {
        lock (_lock)
        {
            if (!_disposed) ReleaseCachedLocked();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var handle in _owned.Values) handle.Dispose();
            _owned.Clear();
            _free.Clear();
            LiveBytes = CachedBytes = 0;
        }
    }

    private void ReleaseCachedLocked()
    {
        foreach (var list in _free.Values)
        {
            while (list.Count > 0)
            {
                var pointer = list.Pop();
                if (_owned.Remove(pointer, out var handle)) handle.Dispose();
            }
        }
        CachedBytes = 0;
    }
}
