using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;

namespace SeekSharp.OpTests;

// The paged DSA ops: rows of several sequences over one shared block pool (the serving engine's layout).
public abstract partial class DeviceOpTests
{
    /// <summary>
    /// A paged layout: sequence s has tokens[s] query rows at positions start[s].., its blocks scattered over a shuffled
    /// pool; the same tables on the device under test and on the reference.
    /// </summary>
    private sealed record PagedLayout(int[] Starts, int[] Tokens, int BlockSize, int PoolBlocks, int[] BlockTable, int TableWidth,
        int[] RowSequences, int[] RowPositions)
    {
        public int Rows => RowSequences.Length;
        public int PoolRows => PoolBlocks * BlockSize;
        public int End(int s) => Starts[s] + Tokens[s];

        public static PagedLayout Make(OpData data, int blockSize, params (int Start, int Tokens)[] sequences)
        {
            var starts = sequences.Select(s => s.Start).ToArray();
            var tokens = sequences.Select(s => s.Tokens).ToArray();
            var blocksPer = sequences.Select(s => (s.Start + s.Tokens + blockSize - 1) / blockSize).ToArray();
            var width = blocksPer.Max();
            var poolBlocks = blocksPer.Sum() + 3;                       // a few blocks nobody owns
            var order = Enumerable.Range(0, poolBlocks).OrderBy(_ => data.Next(int.MaxValue)).ToArray();
            var table = new int[sequences.Length * width];
            var next = 0;
            for (var s = 0; s < sequences.Length; s++)
                for (var b = 0; b < blocksPer[s]; b++) table[s * width + b] = order[next++];
            var rowSeq = new List<int>();
            var rowPos = new List<int>();
            for (var s = 0; s < sequences.Length; s++)
                for (var i = 0; i < tokens[s]; i++)
                {
                    rowSeq.Add(s);
                    rowPos.Add(starts[s] + i);
                }
            return new PagedLayout(starts, tokens, blockSize, poolBlocks, table, width, [.. rowSeq], [.. rowPos]);
        }

        public PagedRows On(IComputeDevice device) => PagedRows.Create(device, RowSequences, RowPositions, BlockTable, TableWidth, BlockSize);

        /// <summary>Positions [0, end) of sequence s from a host pool [PoolRows, width], in position order.</summary>
        public T[] Gather<T>(T[] pool, int width, int s, int end)
        {
            var result = new T[(long)end * width];
            for (var p = 0; p < end; p++)
            {
                var row = (long)BlockTable[s * TableWidth + p / BlockSize] * BlockSize + p % BlockSize;
                Array.Copy(pool, row * width, result, (long)p * width, width);
            }
            return result;
        }

        /// <summary>The first query row of sequence s.</summary>
        public int FirstRow(int s) => Tokens.Take(s).Sum();
    }

    public static TheoryData<string, int, int, int> PagedIndexCases => new()
    {
        // layout name, block size, heads, dim
        { "decode4", 64, 8, 128 },
        { "mixed", 16, 4, 64 },
        { "chunk", 64, 8, 128 },
        { "decode-real", 64, 64, 128 },
    };

    private static (int Start, int Tokens)[] Sequences(string name) => name switch
    {
        "decode4" => [(700, 1), (0, 1), (130, 1), (63, 1)],
        "mixed" => [(20, 9), (300, 1), (5, 3), (0, 2)],
        "chunk" => [(3000, 5)],
        "decode-real" => [(4095, 1), (2047, 1), (9000, 1)],
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(PagedIndexCases))]
    public void IndexScoresPagedMatchesReference(string layoutName, int blockSize, int heads, int dim)
    {
        var data = new OpData(30);
        var layout = PagedLayout.Make(data, blockSize, Sequences(layoutName));
        var q8 = Bytes(data.Fp8Codes((long)layout.Rows * heads * dim));
        var weights = Floats(data.Uniform((long)layout.Rows * heads, -0.01f, 0.01f));
        var keyCodes = data.Fp8Codes((long)layout.PoolRows * dim);
        var scaleValues = data.Uniform(layout.PoolRows, 0.001f, 0.01f);
        var keys = Bytes(keyCodes);
        var keyScales = Floats(scaleValues);
        using var dev = layout.On(Device);
        using var rf = layout.On(Reference);
        var scores = Zeros(DType.F32, (long)layout.Rows * dev.MaxEnd);
        Device.IndexScoresPaged(q8.Dev, weights.Dev, keys.Dev, keyScales.Dev, dev, heads, dim, scores.Dev);
        Reference.IndexScoresPaged(q8.Ref, weights.Ref, keys.Ref, keyScales.Ref, rf, heads, dim, scores.Ref);
        AssertClose(scores, Fp32Tolerance, "paged index scores");

        // the reference's paged result equals the contiguous op on each sequence's gathered keys, bit for bit
        var paged = ReadRef(scores.Ref);
        var qHost = Read<byte>(Reference, q8.Ref);
        var wHost = ReadRef(weights.Ref);
        for (var s = 0; s < layout.Starts.Length; s++)
        {
            int n = layout.Tokens[s], end = layout.End(s), row0 = layout.FirstRow(s);
            using var k = Reference.Allocate(DType.U8, (long)end * dim);
            using var ks = Reference.Allocate(DType.F32, end);
            using var q = Reference.Allocate(DType.U8, (long)n * heads * dim);
            using var w = Reference.Allocate(DType.F32, (long)n * heads);
            using var expected = Reference.Allocate(DType.F32, (long)n * end);
            Reference.Upload<byte>(layout.Gather(keyCodes, dim, s, end), k);
            Reference.Upload<float>(layout.Gather(scaleValues, 1, s, end), ks);
            Reference.Upload<byte>(qHost.AsSpan(row0 * heads * dim, n * heads * dim), q);
            Reference.Upload<float>(wHost.AsSpan(row0 * heads, n * heads), w);
            Reference.IndexScores(q, w, k, ks, n, layout.Starts[s], heads, dim, expected);
            var want = ReadRef(expected);
            for (var r = 0; r < n; r++)
                for (var c = 0; c < dev.MaxEnd; c++)
                {
                    var got = paged[(long)(row0 + r) * dev.MaxEnd + c];
                    var exp = c < end ? want[(long)r * end + c] : float.NegativeInfinity;
                    Assert.True(got.Equals(exp), $"sequence {s} row {r} key {c}: paged {got}, contiguous {exp}");
                }
        }
    }

    public static TheoryData<string, int, int> PagedTopKCases => new()
    {
        // layout name, block size, k
        { "decode4", 64, 32 },
        { "mixed", 16, 8 },
        { "decode-real", 64, 2048 },
    };

    [Theory]
    [MemberData(nameof(PagedTopKCases))]
    public void TopKPagedSelectsTheSameSortedSet(string layoutName, int blockSize, int k)
    {
        var data = new OpData(31);
        CheckTopKPaged(data, PagedLayout.Make(data, blockSize, Sequences(layoutName)), k, 5000, 0.25f, -100, "paged top-k");
    }

    /// <summary>
    /// Paged top-k on both devices over scores drawn from <paramref name="distinct"/> values (step · n + offset; fewer values
    /// than keys make ties), -inf past each row's position; the indices must agree exactly.
    /// </summary>
    private void CheckTopKPaged(OpData data, PagedLayout layout, int k, int distinct, float step, float offset, string what)
    {
        using var dev = layout.On(Device);
        using var rf = layout.On(Reference);
        var maxEnd = dev.MaxEnd;
        var values = new float[(long)layout.Rows * maxEnd];
        for (var i = 0; i < layout.Rows; i++)
            for (var s = 0; s < maxEnd; s++)
                values[(long)i * maxEnd + s] = s <= layout.RowPositions[i] ? data.Next(distinct) * step + offset : float.NegativeInfinity;
        var scores = Floats(values);
        var indices = Zeros(DType.I32, (long)layout.Rows * k);
        Device.TopKPaged(scores.Dev, dev, k, indices.Dev);
        Reference.TopKPaged(scores.Ref, rf, k, indices.Ref);
        AssertEqual<int>(indices, what);
    }

    public static TheoryData<string, int, bool, string, bool> PagedMlaCases => new()
    {
        // layout name, block size, sparse, shape (small; odd: kv_lora 96, which no tensor-core kernel takes; real),
        // cache and wkv_b in the device's Bf16StorageType (else F32)
        { "decode4", 64, true, "small", true },
        { "mixed", 16, true, "small", true },
        { "mixed", 16, false, "small", true },
        { "mixed", 16, true, "odd", true },
        { "decode-real", 64, true, "real", true },
        { "mixed", 16, true, "small", false },
        { "decode-real", 64, true, "real", false },
    };

    [Theory]
    [MemberData(nameof(PagedMlaCases))]
    public void MlaAbsorbedPagedMatchesReference(string layoutName, int blockSize, bool sparse, string shapeName, bool deviceCache) =>
        CheckMlaAbsorbedPaged(layoutName, blockSize, sparse, shapeName, deviceCache, withLse: false);

    /// <summary>The same cases asking for the log-sum-exp: it matches the reference's, and the output keeps every bit.</summary>
    [Theory]
    [MemberData(nameof(PagedMlaCases))]
    public void MlaAbsorbedPagedLseMatchesReference(string layoutName, int blockSize, bool sparse, string shapeName, bool deviceCache) =>
        CheckMlaAbsorbedPaged(layoutName, blockSize, sparse, shapeName, deviceCache, withLse: true);

    private void CheckMlaAbsorbedPaged(string layoutName, int blockSize, bool sparse, string shapeName, bool deviceCache, bool withLse)
    {
        var data = new OpData(32);
        var layout = PagedLayout.Make(data, blockSize, Sequences(layoutName));
        var real = shapeName == "real";
        var shape = NamedMlaShape(shapeName);
        var topk = real ? 2048 : 16;
        var q = Floats(data.Activations((long)layout.Rows * shape.Heads * shape.QkDim));
        var cacheType = deviceCache ? Device.Bf16StorageType : DType.F32;   // the cache and wkv_b as the model keeps them
        var wkvb = Bf16Values(data.Activations((long)shape.Heads * shape.KvBDim * shape.KvLora, 0.05f), deviceCache);
        var latent = Bf16Values(data.Activations((long)layout.PoolRows * shape.KvLora), deviceCache);
        var ropeKeys = Bf16Values(data.Activations((long)layout.PoolRows * shape.Rope), deviceCache);
        var width = Math.Min(topk, layout.RowPositions.Max() + 1);
        var indices = sparse ? Ints(RandomSelections(data, layout, width)) : default;
        using var dev = layout.On(Device);
        using var rf = layout.On(Reference);
        var output = Zeros(DType.F32, (long)layout.Rows * shape.Heads * shape.V);
        var lse = withLse ? Zeros(DType.F32, (long)layout.Rows * shape.Heads) : default;
        Device.MlaAbsorbedPaged(q.Dev, wkvb.Dev, latent.Dev, ropeKeys.Dev, sparse ? indices.Dev : null, sparse ? width : 0, dev, shape, output.Dev, lse.Dev);
        Reference.MlaAbsorbedPaged(q.Ref, wkvb.Ref, latent.Ref, ropeKeys.Ref, sparse ? indices.Ref : null, sparse ? width : 0, rf, shape, output.Ref, lse.Ref);
        AssertClose(output, Bf16Tolerance, $"paged mla absorbed ({cacheType} cache)");
        if (!withLse) return;
        AssertClose(lse, Bf16Tolerance, $"paged mla absorbed lse ({cacheType} cache)");
        var plain = Zeros(DType.F32, output.Dev.Length);
        Device.MlaAbsorbedPaged(q.Dev, wkvb.Dev, latent.Dev, ropeKeys.Dev, sparse ? indices.Dev : null, sparse ? width : 0, dev, shape, plain.Dev);
        AssertSameBits(ReadDev(plain.Dev), ReadDev(output.Dev), $"paged mla absorbed output with lse ({cacheType} cache)");
    }

    /// <summary>
    /// I32 [Rows, width]: for each row, min(width, pos + 1) distinct positions among those it sees, chosen at random and
    /// sorted ascending, then -1 (a top-k result's form).
    /// </summary>
    private static int[] RandomSelections(OpData data, PagedLayout layout, int width)
    {
        var rows = new int[layout.Rows * width];
        rows.AsSpan().Fill(-1);
        for (var i = 0; i < layout.Rows; i++)
        {
            var visible = layout.RowPositions[i] + 1;
            Enumerable.Range(0, visible).OrderBy(_ => data.Next(int.MaxValue)).Take(Math.Min(width, visible)).Order().ToArray()
                .CopyTo(rows, i * width);
        }
        return rows;
    }

    [Fact]
    public void WriteRowsPagedRoundsF32RowsIntoTheBf16StorageType()
    {
        var data = new OpData(34);
        var layout = PagedLayout.Make(data, 16, Sequences("mixed"));
        const int width = 72;
        var source = Floats(data.Uniform((long)layout.Rows * width, -3, 3));   // not bf16 values: the write rounds
        var pool = (Dev: Own(Device.Allocate(Device.Bf16StorageType, (long)layout.PoolRows * width)),
            Ref: Own(Reference.Allocate(DType.F32, (long)layout.PoolRows * width)));
        using var dev = layout.On(Device);
        using var rf = layout.On(Reference);
        Device.WriteRowsPaged(MatrixView.Dense(source.Dev, layout.Rows, width), pool.Dev, dev);
        Reference.WriteRowsPaged(MatrixView.Dense(source.Ref, layout.Rows, width), pool.Ref, rf);
        var expected = ReadRef(pool.Ref);
        float[] actual;
        if (Device.Bf16StorageType == DType.BF16)
        {
            BFloat16Math.RoundInPlace(expected);
            actual = Read<ushort>(Device, pool.Dev).Select(BFloat16Math.ToFloat).ToArray();
        }
        else actual = ReadDev(pool.Dev);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == actual[i], $"paged row write into {Device.Bf16StorageType}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(DType.F32, 48)]
    [InlineData(DType.U8, 128)]
    [InlineData(DType.F32, 1)]
    public void WriteRowsPagedPutsEachRowInItsSlot(DType dtype, int width)
    {
        var data = new OpData(33);
        var layout = PagedLayout.Make(data, 16, Sequences("mixed"));
        (DeviceBuffer Dev, DeviceBuffer Ref) source = dtype == DType.U8
            ? Bytes(data.Fp8Codes((long)layout.Rows * width))
            : Floats(data.Uniform((long)layout.Rows * width, -1, 1));
        var pool = Zeros(dtype, (long)layout.PoolRows * width);
        using var dev = layout.On(Device);
        using var rf = layout.On(Reference);
        Device.WriteRowsPaged(MatrixView.Dense(source.Dev, layout.Rows, width), pool.Dev, dev);
        Reference.WriteRowsPaged(MatrixView.Dense(source.Ref, layout.Rows, width), pool.Ref, rf);
        if (dtype == DType.U8) AssertEqual<byte>(pool, "paged row write");
        else AssertEqual<float>(pool, "paged row write");
    }

    [Theory]
    [InlineData(RopeLayout.Interleaved)]
    [InlineData(RopeLayout.HalfSplit)]
    public void RopeAtRotatesEachRowGroupAtItsOwnPosition(RopeLayout layout)
    {
        var data = new OpData(34);
        const int tablePositions = 800, half = 32, heads = 3, stride = 192;
        int[] rowPositions = [700, 0, 31, 32, 5, 799];                // several sequences: runs and jumps
        var groups = rowPositions.Length;
        var cos = Floats(data.Uniform(tablePositions * half, -1, 1));
        var sin = Floats(data.Uniform(tablePositions * half, -1, 1));
        var original = data.Activations(groups * heads * stride);
        var q = Floats((float[])original.Clone());
        var positions = Ints(rowPositions);
        var view = new MatrixView(q.Dev, 128, groups * heads, 2 * half, stride);
        Device.RopeAt(view, heads, positions.Dev, cos.Dev, sin.Dev, layout);
        Reference.RopeAt(view with { Buffer = q.Ref }, heads, positions.Ref, cos.Ref, sin.Ref, layout);
        AssertClose(q, Bf16Tolerance, $"rope_at {layout}");

        // the reference equals Rope on each group alone
        using var one = Reference.Allocate(DType.F32, original.Length);
        Reference.Upload<float>(original, one);
        for (var g = 0; g < groups; g++)
            Reference.Rope(new MatrixView(one, 128 + (long)g * heads * stride, heads, 2 * half, stride), heads, rowPositions[g], cos.Ref, sin.Ref, layout);
        Assert.Equal(Read<float>(Reference, one), ReadRef(q.Ref));
    }
}
