using SeekSharp.Cuda.Launchers;

namespace SeekSharp.Cuda.Tests;

/// <summary>How the tensor-core indexer splits key rows over blocks (host arithmetic only: runs without a GPU).</summary>
public sealed class IndexerChunkTests
{
    private const int H200Sms = 132;

    [Theory]
    [InlineData(4096, 1, 128)]        // one short row: 32 one-tile blocks, not 16
    [InlineData(32768, 1, 128)]       // 256 blocks; 256 keys each would leave SMs idle
    [InlineData(131072, 1, 256)]      // 512 blocks of two tiles
    [InlineData(4096, 32, 256)]       // 512 blocks
    [InlineData(131072, 128, 8192)]   // the cap
    public void ChunkIsAWholeNumberOfTilesAndFillsTheGpu(int keys, int rows, int expected)
    {
        var chunk = IndexerLauncher.TcChunk(keys, rows, H200Sms);
        Assert.Equal(expected, chunk);
        Assert.Equal(0, chunk % 128);
    }

    [Theory]
    [InlineData(4096, 1, 1, 128)]          // one short row: 32 one-tile blocks
    [InlineData(131072, 1, 1, 512)]        // 256 blocks: about one wave at two per SM
    [InlineData(4096, 128, 1, 2048)]       // 256 blocks, not 1024 of 512 keys
    [InlineData(32768, 32, 1, 4096)]       // 256 blocks
    [InlineData(131072, 128, 1, 8192)]     // the cap: 2048 blocks
    [InlineData(8192, 512, 8, 8192)]       // prefill groups of eight, one block per SM: the cap
    [InlineData(4096, 2, 8, 128)]          // a short chunk: one-tile blocks
    public void WarpgroupChunkGivesAboutOneWaveOfResidentBlocks(int keys, int groups, int group, int expected)
    {
        var chunk = IndexerLauncher.WarpgroupChunk(keys, groups, group, H200Sms);
        Assert.Equal(expected, chunk);
        Assert.Equal(0, chunk % 128);
    }

    [Theory]
    [InlineData(5300, 5300, 5300, false)]   // keys cut at the last needed row: the last 32-row group would read 20 past it
    [InlineData(5312, 5312, 5300, true)]    // padded to the group
    [InlineData(5312, 5300, 5300, false)]   // the scales too
    [InlineData(8192, 8192, 5000, true)]    // an engine pool: whole 64-row blocks
    [InlineData(64, 64, 1, true)]
    public void WarpgroupKernelsRunOnlyWhereWholeGroupsAreInside(long keyRows, long scaleRows, long rowsNeeded, bool expected) =>
        Assert.Equal(expected, IndexerLauncher.WholeGroupsInside(keyRows, scaleRows, rowsNeeded));
}
