using SeekSharp.Cuda.Launchers;

namespace SeekSharp.Cuda.Tests;

/// <summary>The warpgroup sparse MLA kernels are in use where they should be (their fallback is silent otherwise).</summary>
public sealed class MlaSparseWarpgroupTests
{
    [Fact]
    public void OnHopperTheWarpgroupKernelsLoad()
    {
        var device = CudaTestDevice.Get();
        if (!device.Kernels.BuildsArchSpecific)
            Assert.Skip($"mla_sparse_wg.cu needs an sm_90a build; this GPU is {device.Kernels.Context.Architecture}");
        if (Environment.GetEnvironmentVariable("SEEKSHARP_MLA_WG") == "0") Assert.Skip("SEEKSHARP_MLA_WG=0 switches them off");
        Assert.True(new MlaSparseWarpgroup(device.Kernels).Available,
            "mla_sparse_wg.cu did not load on an sm_90a build: the sparse MLA would fall back to the mma.sync kernels");
    }

    [Theory]
    [InlineData(2048, 4096, 128, 1)]     // prefill: one split
    [InlineData(2048, 1, 128, 16)]       // decode B = 1: 64 tiles in 16 splits of 4
    [InlineData(2048, 32, 128, 4)]
    [InlineData(64, 8, 128, 1)]          // 2 tiles: fewer than 4 per split would not repay the query load
    public void ScoreSplitsFillTheSmsOnceWithAtLeastFourTilesEach(int slotsPad, int tokens, int heads, int expected)
    {
        var device = CudaTestDevice.Get();
        if (device.Kernels.Context.MultiprocessorCount != 132) Assert.Skip("the expected counts are for 132 SMs (H100 / H200)");
        var (count, slots) = new MlaSparseWarpgroup(device.Kernels).QkSplits(slotsPad, tokens, heads);
        Assert.Equal(expected, count);
        Assert.True(count * slots >= slotsPad && (count - 1) * slots < slotsPad && slots % 32 == 0);
    }
}
