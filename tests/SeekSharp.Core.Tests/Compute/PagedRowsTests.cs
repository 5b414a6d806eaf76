using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;

namespace SeekSharp.Core.Tests.Compute;

/// <summary>PagedRows' host arithmetic: the pool rows a step's query rows can reach.</summary>
public sealed class PagedRowsTests : IDisposable
{
    private readonly IComputeDevice _device = new HostDevice(new ScalarBackend(), ownsBackend: true);

    public void Dispose() => _device.Dispose();

    /// <summary>The definition: one past the highest pool row of any position a row sees.</summary>
    private static long EveryPosition(int[] rowSequences, int[] rowPositions, int[] table, int width, int blockSize)
    {
        long needed = 0;
        for (var i = 0; i < rowSequences.Length; i++)
            for (var p = 0; p <= rowPositions[i]; p++)
                needed = Math.Max(needed, (long)table[rowSequences[i] * width + p / blockSize] * blockSize + p % blockSize + 1);
        return needed;
    }

    [Theory]
    [InlineData(1, 4, 1)]      // decode rows: one a sequence
    [InlineData(2, 16, 7)]     // prefill runs: many rows of one sequence
    [InlineData(3, 64, 3)]
    [InlineData(4, 5, 1)]      // a block size that does not divide the positions
    public void PoolRowsNeededIsOnePastTheHighestRowAnyQueryRowSees(int seed, int blockSize, int rowsPerSequence)
    {
        var random = new Random(seed);
        const int sequences = 5, width = 9;
        var table = Enumerable.Range(0, sequences * width).Select(_ => random.Next(0, 200)).ToArray();
        var rowSequences = new List<int>();
        var rowPositions = new List<int>();
        for (var s = 0; s < sequences - 1; s++)   // the last sequence has no rows: its table row must not count
            for (var r = 0; r < rowsPerSequence; r++)
            {
                rowSequences.Add(s);
                rowPositions.Add(random.Next(0, width * blockSize));
            }
        using var rows = PagedRows.Create(_device, [.. rowSequences], [.. rowPositions], table, width, blockSize);
        Assert.Equal(EveryPosition([.. rowSequences], [.. rowPositions], table, width, blockSize), rows.PoolRowsNeeded());
    }
}
