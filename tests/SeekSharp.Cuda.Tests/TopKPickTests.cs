using SeekSharp.Cuda.Launchers;

namespace SeekSharp.Cuda.Tests;

/// <summary>Which top-k kernel serves a batch of rows (host arithmetic only: runs without a GPU).</summary>
public sealed class TopKPickTests
{
    private const int H200Sms = 132;

    // variant indices of TopKLauncher.Variants: 0 c1_i4, 1 c1_i8, 2 c2_i8, 3 c4_i8, 4 c8_i8, 5 c8_i16, 6 c8_i24; -1 topk_rows
    [Theory]
    [InlineData(1, 4096, 0)]          // the smallest variant covering the row
    [InlineData(128, 4096, 0)]        // one block a row needs no cluster: kept at any row count
    [InlineData(4096, 8192, 1)]       // prefill at 8K
    [InlineData(1, 32768, 3)]
    [InlineData(32, 131072, 5)]       // few rows: a cluster of 8 blocks each
    [InlineData(66, 131072, 5)]       // 2 x 66 = 132 SMs: the last row count that takes clusters
    [InlineData(67, 131072, -1)]      // topk_rows fills the GPU
    [InlineData(128, 32768, -1)]
    [InlineData(4096, 131072, -1)]    // prefill at 128K
    [InlineData(1, 196608, 6)]        // the largest capacity
    [InlineData(1, 196609, -1)]       // past it: only topk_rows reads rows of any length
    [InlineData(65536, 4096, -1)]     // the variants put rows on grid.y (at most 65535)
    public void PicksTheSmallestCoveringVariantWhileTheRowsLeaveSmsIdle(int rows, int stride, int expected) =>
        Assert.Equal(expected, TopKLauncher.Pick(rows, stride, H200Sms));

    [Theory]
    [InlineData(232_448, 24_700, 65_536)]   // H100 / H200: the whole candidate room
    [InlineData(49_152, 24_700, 24_448)]    // a 48 KiB GPU: what is left, in whole candidates
    [InlineData(24_000, 24_700, 0)]         // none left: the kernel streams every pass
    public void RowsKernelGetsTheCandidateRoomThatFits(int perBlockOptIn, int staticShared, int expected) =>
        Assert.Equal(expected, TopKLauncher.RowsShared(perBlockOptIn, staticShared));

    [Theory]
    [InlineData(1, 8192, 1)]          // one-block variants exist on every architecture
    [InlineData(1, 8193, -1)]         // clusters need sm_90
    public void WithoutClustersOnlyOneBlockVariantsAreUsed(int rows, int stride, int expected) =>
        Assert.Equal(expected, TopKLauncher.Pick(rows, stride, H200Sms, clusters: false));
}
