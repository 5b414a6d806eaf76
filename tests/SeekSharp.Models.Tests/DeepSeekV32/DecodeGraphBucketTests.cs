using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;
using SeekSharp.Cpu;
using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>
/// The host side of decode graphs: bucket sizes, and the fixed-width paged tables a graph refills every step. The
/// graphs themselves need a device that records them (CUDA: SeekSharp.Cuda.Tests' DecodeGraphTests).
/// </summary>
public sealed class DecodeGraphBucketTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 4)]
    [InlineData(5, 8)]
    [InlineData(9, 16)]
    [InlineData(17, 24)]
    [InlineData(128, 128)]
    [InlineData(129, 136)]
    public void Batches_pad_to_1_2_4_then_multiples_of_8(int sequences, int bucket) =>
        Assert.Equal(bucket, DecodeGraphs.RowBucket(sequences));

    [Theory]
    [InlineData(1, 163840, 256)]
    [InlineData(256, 163840, 256)]
    [InlineData(257, 163840, 512)]
    [InlineData(4096, 163840, 4096)]
    [InlineData(4097, 163840, 8192)]
    [InlineData(150000, 163840, 163840)]                                 // never past the model's positions
    [InlineData(100, 64, 100)]                                          // nor below the step's own end
    public void Contexts_round_up_to_powers_of_two_from_256(int end, int limit, int bucket) =>
        Assert.Equal(bucket, DecodeGraphs.ContextBucket(end, limit));

    [Fact]
    public void A_device_without_graph_recording_gets_no_decode_graphs()
    {
        using var tiny = new TinyModel("tiny-bf16", "cpu");
        Assert.IsNotAssignableFrom<IGraphCapture>(tiny.Model.Device);
        using var cache = tiny.Model.NewCache();
        Assert.Null(DecodeGraphs.Create(tiny.Model, cache));
    }

    [Fact]
    public void Fixed_width_paged_rows_refresh_in_place_and_refuse_rows_past_their_width()
    {
        using var device = new HostDevice(new CpuBackend(1), ownsBackend: true);
        // two sequences of 2 blocks of 4 positions, score rows 8 wide although the rows end at 3 and 6
        using var rows = PagedRows.Create(device, [0, 1], [2, 5], [4, 0, 7, 3], tableWidth: 2, blockSize: 4, maxEnd: 8);
        Assert.Equal(8, rows.MaxEnd);
        Assert.Equal(7L * 4 + 3 + 1, rows.PoolRowsNeeded());         // sequence 1 fills its first block, pool block 7

        var seq = rows.RowSequences;
        rows.Refresh(device, [7, 0], [1, 2, 5, 6]);
        Assert.Same(seq, rows.RowSequences);
        Assert.Equal(8, rows.MaxEnd);
        Assert.Equal([7, 0], rows.HostRowPositions.ToArray());
        Assert.Equal(new long[] { 2 * 4 + 3, 5 * 4 }, new[] { rows.PoolRow(0, 7), rows.PoolRow(1, 0) });
        Assert.Equal(5L * 4 + 0 + 1, rows.PoolRowsNeeded());         // recomputed: sequence 1 now ends at row 0 of block 5
        var onDevice = new int[4];
        device.Download<int>(rows.BlockTable, 0, onDevice);
        Assert.Equal([1, 2, 5, 6], onDevice);

        var past = Assert.Throws<ArgumentOutOfRangeException>(() => rows.Refresh(device, [8, 0], [1, 2, 5, 6]));
        Assert.Contains("score width 8", past.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => rows.Refresh(device, [1, 0], [1, -2, 5, 6]));
        Assert.Throws<ArgumentException>(() => rows.Refresh(device, [1], [1, 2, 5, 6]));
        Assert.Equal([7, 0], rows.HostRowPositions.ToArray());        // a refused refresh changes nothing
    }

    [Fact]
    public void A_fixed_width_below_the_longest_row_is_refused()
    {
        using var device = new HostDevice(new CpuBackend(1), ownsBackend: true);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PagedRows.Create(device, [0], [9], [0, 1, 2], 3, 4, maxEnd: 9));
        Assert.Contains("10 positions", error.Message);
    }
}
