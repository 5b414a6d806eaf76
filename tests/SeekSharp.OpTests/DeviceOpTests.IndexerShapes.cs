using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.OpTests;

// The indexer and top-k at the shapes that pick different kernel tilings on the GPU: a prefill chunk (rows of one
// sequence grouped 8 to a block, one key tile serving them all), decode rows at a long context (keys of one row
// split over many blocks), and a mixed batch (one row per block). Real head count and dimension: 64 × 128.
public abstract partial class DeviceOpTests
{
    private const int IndexerHeads = 64, IndexerDim = 128;

    [Fact]
    public void IndexScoresMatchReferenceForAPrefillChunkDeepInTheContext()
    {
        // 300 rows at positions 5000..5299: groups of 8 rows, the last group partial; the diagonal crosses key tiles
        const int tokens = 300, startPos = 5000, heads = IndexerHeads, dim = IndexerDim;
        var data = new OpData(40);
        var end = startPos + tokens;
        var q8 = Bytes(data.Fp8Codes((long)tokens * heads * dim));
        var weights = Floats(data.Uniform((long)tokens * heads, -0.01f, 0.01f));
        var keys = Bytes(data.Fp8Codes((long)end * dim));
        var keyScales = Floats(data.Uniform(end, 0.001f, 0.01f));
        var scores = Zeros(DType.F32, (long)tokens * end);
        Device.IndexScores(q8.Dev, weights.Dev, keys.Dev, keyScales.Dev, tokens, startPos, heads, dim, scores.Dev);
        Reference.IndexScores(q8.Ref, weights.Ref, keys.Ref, keyScales.Ref, tokens, startPos, heads, dim, scores.Ref);
        AssertClose(scores, Fp32Tolerance, "index scores, 300-row chunk at 5000");
    }

    public static TheoryData<string, int> IndexerShapeCases => new()
    {
        // layout, block size
        { "decode-130k", 64 },      // three decode rows, one at 130K: every row's keys split over many blocks
        { "chunk-paged", 64 },      // one sequence, 100 rows at 3000: grouped rows through the block table
        { "chunk-odd-blocks", 48 }, // the same with blocks that do not divide the 128-key tile
        { "mixed-real", 16 },       // a chunk and decode rows of other sequences in one call: one row per block
    };

    private static (int Start, int Tokens)[] ShapeSequences(string name) => name switch
    {
        "decode-130k" => [(130_000, 1), (4100, 1), (70_001, 1)],
        "chunk-paged" or "chunk-odd-blocks" => [(3000, 100)],
        "mixed-real" => [(1000, 40), (2500, 1), (7, 1), (600, 20)],
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(IndexerShapeCases))]
    public void IndexScoresPagedMatchesReferenceAtKernelShapes(string layoutName, int blockSize)
    {
        const int heads = IndexerHeads, dim = IndexerDim;
        var data = new OpData(41);
        var layout = PagedLayout.Make(data, blockSize, ShapeSequences(layoutName));
        var q8 = Bytes(data.Fp8Codes((long)layout.Rows * heads * dim));
        var weights = Floats(data.Uniform((long)layout.Rows * heads, -0.01f, 0.01f));
        var keys = Bytes(data.Fp8Codes((long)layout.PoolRows * dim));
        var keyScales = Floats(data.Uniform(layout.PoolRows, 0.001f, 0.01f));
        using var dev = layout.On(Device);
        using var rf = layout.On(Reference);
        var scores = Zeros(DType.F32, (long)layout.Rows * dev.MaxEnd);
        Device.IndexScoresPaged(q8.Dev, weights.Dev, keys.Dev, keyScales.Dev, dev, heads, dim, scores.Dev);
        Reference.IndexScoresPaged(q8.Ref, weights.Ref, keys.Ref, keyScales.Ref, rf, heads, dim, scores.Ref);
        AssertClose(scores, Fp32Tolerance, $"paged index scores, {layoutName}");
    }

    public static TheoryData<string, int, int> TopKShapeCases => new()
    {
        // layout, block size, k
        { "decode-130k", 64, 2048 },
        { "chunk-paged", 64, 2048 },
        { "mixed-real", 16, 2048 },
        { "mixed-real", 16, 64 },
    };

    [Theory]
    [MemberData(nameof(TopKShapeCases))]
    public void TopKPagedSelectsTheSameSortedSetAtKernelShapes(string layoutName, int blockSize, int k)
    {
        var data = new OpData(42);
        CheckTopKPaged(data, PagedLayout.Make(data, blockSize, ShapeSequences(layoutName)), k, 200_000, 0.125f, -3000, $"paged top-k, {layoutName}");
    }
}
