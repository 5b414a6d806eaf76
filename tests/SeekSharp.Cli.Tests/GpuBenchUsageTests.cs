namespace SeekSharp.Cli.Tests;

/// <summary>`seek bench gpu` refuses bad options before any timing starts (the timings take minutes).</summary>
public class GpuBenchUsageTests
{
    [Fact]
    public void ModelTimingsOnTheCpuAreRefusedBeforeAnythingRuns()
    {
        var (exit, stdout, stderr) = SeekProcess.Run("bench", "gpu", "--device", "cpu", "--model");
        Assert.Equal(2, exit);
        Assert.Contains("--model needs a CUDA device", stderr);
        Assert.DoesNotContain("decode", stdout);
    }

    [Fact]
    public void ANonPositiveChunkIsNamed()
    {
        var (exit, _, stderr) = SeekProcess.Run("bench", "gpu", "--device", "cpu", "--decode-batches", ",", "--prefill-ctx", ",", "--no-layer",
            "--first-chunk", "--chunk", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--chunk: 0 is not a positive integer", stderr);
    }
}
