namespace SeekSharp.Cuda.Runtime;

/// <summary>
/// Host↔device copies of pageable memory through two pinned staging buffers used in turn: while the DMA engine copies
/// one chunk, the CPU fills the other. Uploads return once the last chunk is queued (stream order makes it visible to
/// later kernels); downloads return when the data is on the host.
/// </summary>
public sealed unsafe class StagedTransfers(CudaContext context, CudaStream stream, int chunkBytes = StagedTransfers.DefaultChunkBytes) : IDisposable
{
    public const int DefaultChunkBytes = 16 << 20;

    private readonly PinnedHostBuffer?[] _staging = new PinnedHostBuffer?[2];
    private int _next;

    /// <summary>Copies <paramref name="bytes"/> from host memory at <paramref name="source"/> to device address <paramref name="destination"/>.</summary>
    public void Upload(void* source, nint destination, long bytes)
    {
        var driver = context.Driver;
        for (long done = 0; done < bytes;)
        {
            var chunk = (int)Math.Min(chunkBytes, bytes - done);
            var staging = NextStaging();
            staging.Ready.Synchronize();   // its previous copy has finished reading it
            Buffer.MemoryCopy((byte*)source + done, (void*)staging.Pointer, chunk, chunk);
            context.MakeCurrent();
            driver.ThrowIfFailed(driver.cuMemcpyHtoDAsync(destination + (nint)done, (void*)staging.Pointer, (nuint)chunk, stream.Handle));
            staging.Ready.Record(stream);
            done += chunk;
        }
    }

    /// <summary>Copies <paramref name="bytes"/> from device address <paramref name="source"/> to host memory, after all queued work.</summary>
    public void Download(nint source, void* destination, long bytes)
    {
        var driver = context.Driver;
        for (long done = 0; done < bytes;)
        {
            var chunk = (int)Math.Min(chunkBytes, bytes - done);
            var staging = NextStaging();
            context.MakeCurrent();
            driver.ThrowIfFailed(driver.cuMemcpyDtoHAsync((void*)staging.Pointer, source + (nint)done, (nuint)chunk, stream.Handle));
            stream.Synchronize();
            Buffer.MemoryCopy((void*)staging.Pointer, (byte*)destination + done, chunk, chunk);
            done += chunk;
        }
    }

    public void Dispose()
    {
        foreach (var staging in _staging) staging?.Dispose();
    }

    private PinnedHostBuffer NextStaging()
    {
        var index = _next;
        _next ^= 1;
        return _staging[index] ??= new PinnedHostBuffer(context, chunkBytes);
    }
}
