namespace SeekSharp.Cpu.Tests;

public class MemoryBandwidthProbeTests
{
    [Fact]
    public void SmallProbeReportsPlausibleBandwidth()
    {
        var result = MemoryBandwidthProbe.Measure(threads: 2, bufferBytes: 16L << 20, passes: 2);
        Assert.Equal(2, result.Threads);
        Assert.Equal(16L << 20, result.BufferBytes);
        // Anything from a slow VM to a many-channel server: positive, finite and below 10 TB/s.
        Assert.InRange(result.CopyGBps, 0.1, 10_000);
        Assert.InRange(result.ReadGBps, 0.1, 10_000);
    }

    [Fact]
    public void RejectsTinyBuffersAndZeroPasses()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBandwidthProbe.Measure(1, bufferBytes: 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBandwidthProbe.Measure(1, 1L << 20, passes: 0));
    }
}
