namespace SeekSharp.Core.Compute;

/// <summary>
/// A device that can record the work a call queues and replay it later with one launch (CUDA graphs). Replays run the
/// recorded kernels with the recorded arguments: buffers keep their addresses, so a caller changes a replay's inputs
/// by uploading new values into the same buffers before it.
/// </summary>
public interface IGraphCapture
{
    /// <summary>
    /// Records the device work <paramref name="body"/> queues without running it. The body must not wait for the
    /// device (no downloads or uploads) and should have run once before, so its temporaries come from the allocator's
    /// cache; the graph holds every temporary the body used for its own life.
    /// </summary>
    IDeviceGraph Capture(Action body);
}

/// <summary>A recorded piece of device work (see <see cref="IGraphCapture"/>).</summary>
public interface IDeviceGraph : IDisposable
{
    /// <summary>Queues one replay on the device's stream (ordered after earlier work, before later work).</summary>
    void Replay();
}
