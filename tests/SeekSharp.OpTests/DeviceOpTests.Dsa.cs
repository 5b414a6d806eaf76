using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.OpTests;

// The lightning indexer's scores and top-k, and MLA attention in both forms.
public abstract partial class DeviceOpTests
{
    public static TheoryData<int, int, int, int> IndexCases => new()
    {
        // tokens, startPos, heads, dim
        { 1, 0, 4, 128 },
        { 1, 700, 64, 128 },        // a decode query over 701 keys, real head count
        { 9, 20, 8, 128 },          // a continued chunk: causal mask inside the chunk
        { 33, 0, 4, 64 },
    };

    [Theory]
    [MemberData(nameof(IndexCases))]
    public void IndexScoresMatchReference(int tokens, int startPos, int heads, int dim)
    {
        var data = new OpData(20);
        var end = startPos + tokens;
        var q8 = Bytes(data.Fp8Codes((long)tokens * heads * dim));
        var weights = Floats(data.Uniform((long)tokens * heads, -0.01f, 0.01f));
        var keys = Bytes(data.Fp8Codes((long)(end + 5) * dim));
        var keyScales = Floats(data.Uniform(end + 5, 0.001f, 0.01f));
        var scores = Zeros(DType.F32, (long)tokens * end);
        Device.IndexScores(q8.Dev, weights.Dev, keys.Dev, keyScales.Dev, tokens, startPos, heads, dim, scores.Dev);
        Reference.IndexScores(q8.Ref, weights.Ref, keys.Ref, keyScales.Ref, tokens, startPos, heads, dim, scores.Ref);
        AssertClose(scores, Fp32Tolerance, "index scores");
    }

    public static TheoryData<int, int, int, int> TopKCases => new()
    {
        // tokens, startPos, k, distinct values (fewer than keys: many ties)
        { 1, 99, 32, 1_000_000 },
        { 5, 10, 32, 1_000_000 },   // rows 0.. see 11..15 keys: fewer than k, -1 padding
        { 3, 3000, 2048, 1_000_000 },
        { 4, 500, 64, 7 },          // heavy ties: lower index first
        { 1, 131_071, 2048, 1_000_000 },
        { 70, 9000, 2048, 1_000_000 },   // rows past 8K, too many for clusters on an H200: topk_rows and its candidate list
        { 70, 30_000, 2048, 3 },         // three values: the threshold bin outgrows that list, every pass reads the row
    };

    [Theory]
    [MemberData(nameof(TopKCases))]
    public void TopKSelectsTheSameSortedSet(int tokens, int startPos, int k, int distinct)
    {
        var data = new OpData(21);
        var end = startPos + tokens;
        var values = new float[(long)tokens * end];
        for (var i = 0; i < tokens; i++)
            for (var s = 0; s < end; s++)
                values[(long)i * end + s] = s <= startPos + i ? data.Next(distinct) * 0.25f - 100 : float.NegativeInfinity;
        var scores = Floats(values);
        var indices = Zeros(DType.I32, (long)tokens * k);
        Device.TopK(scores.Dev, tokens, startPos, k, indices.Dev);
        Reference.TopK(scores.Ref, tokens, startPos, k, indices.Ref);
        AssertEqual<int>(indices, "top-k");
    }

    public static TheoryData<int, int, bool, bool> MlaCases => new()
    {
        // tokens, heads, sparse (top-k rows, else dense causal), real dimensions (nope 128, rope 64, v 128)
        { 7, 4, true, false },
        { 7, 4, false, false },
        { 40, 2, true, false },
        { 24, 128, false, true },
        { 24, 128, true, true },
    };

    [Theory]
    [MemberData(nameof(MlaCases))]
    public void MlaPrefillMatchesReference(int tokens, int heads, bool sparse, bool real) =>
        CheckMlaPrefill(tokens, heads, sparse, real, withLse: false);

    /// <summary>The same cases asking for the log-sum-exp: it matches the reference's, and the output keeps every bit.</summary>
    [Theory]
    [MemberData(nameof(MlaCases))]
    public void MlaPrefillLseMatchesReference(int tokens, int heads, bool sparse, bool real) =>
        CheckMlaPrefill(tokens, heads, sparse, real, withLse: true);

    public static TheoryData<int, int, int, bool> MlaPrefillLongCases => new()
    {
        // tokens, heads, top-k width (0: every causal key), lse; DeepSeek's head shape (the CUDA device's tensor-core
        // kernel): several 64-query tiles and 32-key tiles, partial last tiles, rows past 2048 with 2048 selected keys
        { 150, 4, 0, false },
        { 150, 4, 5, true },
        { 2100, 2, 2048, true },
    };

    [Theory]
    [MemberData(nameof(MlaPrefillLongCases))]
    public void MlaPrefillMatchesReferenceOverManyTiles(int tokens, int heads, int topk, bool withLse) =>
        CheckMlaPrefill(tokens, heads, topk > 0, real: true, withLse, topk);

    private void CheckMlaPrefill(int tokens, int heads, bool sparse, bool real, bool withLse, int topk = 5)
    {
        var data = new OpData(22);
        var shape = real ? new MlaShape(heads, 128, 64, 128, 512, 0.0723f) : new MlaShape(heads, 64, 32, 64, 128, 0.1f);
        var q = Floats(data.Activations((long)tokens * heads * shape.QkDim));
        var kvb = Floats(data.Activations((long)tokens * heads * shape.KvBDim));
        var ropeKeys = Floats(data.Activations((long)tokens * shape.Rope));
        var (indices, width) = sparse ? Selection(data, tokens, 0, topk) : (default, 0);
        var output = Zeros(DType.F32, (long)tokens * heads * shape.V);
        var lse = withLse ? Zeros(DType.F32, (long)tokens * heads) : default;
        Device.MlaPrefill(q.Dev, kvb.Dev, ropeKeys.Dev, sparse ? indices.Dev : null, width, tokens, shape, output.Dev, lse.Dev);
        Reference.MlaPrefill(q.Ref, kvb.Ref, ropeKeys.Ref, sparse ? indices.Ref : null, width, tokens, shape, output.Ref, lse.Ref);
        AssertClose(output, Bf16Tolerance, "mla prefill");
        if (!withLse) return;
        AssertClose(lse, Bf16Tolerance, "mla prefill lse");
        var plain = Zeros(DType.F32, output.Dev.Length);
        Device.MlaPrefill(q.Dev, kvb.Dev, ropeKeys.Dev, sparse ? indices.Dev : null, width, tokens, shape, plain.Dev);
        AssertSameBits(ReadDev(plain.Dev), ReadDev(output.Dev), "mla prefill output with lse");
    }

    public static TheoryData<int, int, int, bool, bool> MlaAbsorbedCases => new()
    {
        // tokens, startPos, top-k width, sparse, real dimensions (128 heads, kv_lora 512, top-k 2048)
        { 1, 50, 16, true, false },
        { 3, 50, 16, false, false },
        { 4, 3000, 2048, true, true },
        { 24, 600, 256, true, true },    // more than 4 queries: the CUDA device's GEMM path for the projections
    };

    [Theory]
    [MemberData(nameof(MlaAbsorbedCases))]
    public void MlaAbsorbedMatchesReference(int tokens, int startPos, int topk, bool sparse, bool real) =>
        CheckMlaAbsorbed(tokens, startPos, topk, sparse, real, withLse: false);

    /// <summary>The same cases asking for the log-sum-exp: it matches the reference's, and the output keeps every bit.</summary>
    [Theory]
    [MemberData(nameof(MlaAbsorbedCases))]
    public void MlaAbsorbedLseMatchesReference(int tokens, int startPos, int topk, bool sparse, bool real) =>
        CheckMlaAbsorbed(tokens, startPos, topk, sparse, real, withLse: true);

    private void CheckMlaAbsorbed(int tokens, int startPos, int topk, bool sparse, bool real, bool withLse)
    {
        var data = new OpData(23);
        var shape = real ? new MlaShape(128, 128, 64, 128, 512, 0.0723f) : new MlaShape(4, 64, 32, 64, 128, 0.1f);
        var end = startPos + tokens;
        var q = Floats(data.Activations((long)tokens * shape.Heads * shape.QkDim));
        var wkvb = Floats(data.Activations((long)shape.Heads * shape.KvBDim * shape.KvLora, 0.05f));
        var latent = Floats(data.Activations((long)end * shape.KvLora));
        var ropeKeys = Floats(data.Activations((long)end * shape.Rope));
        var (indices, width) = sparse ? Selection(data, tokens, startPos, topk) : (default, 0);
        var output = Zeros(DType.F32, (long)tokens * shape.Heads * shape.V);
        var lse = withLse ? Zeros(DType.F32, (long)tokens * shape.Heads) : default;
        Device.MlaAbsorbed(q.Dev, wkvb.Dev, latent.Dev, ropeKeys.Dev, sparse ? indices.Dev : null, width, tokens, startPos, shape, output.Dev, lse.Dev);
        Reference.MlaAbsorbed(q.Ref, wkvb.Ref, latent.Ref, ropeKeys.Ref, sparse ? indices.Ref : null, width, tokens, startPos, shape, output.Ref, lse.Ref);
        AssertClose(output, Bf16Tolerance, "mla absorbed");
        if (!withLse) return;
        AssertClose(lse, Bf16Tolerance, "mla absorbed lse");
        var plain = Zeros(DType.F32, output.Dev.Length);
        Device.MlaAbsorbed(q.Dev, wkvb.Dev, latent.Dev, ropeKeys.Dev, sparse ? indices.Dev : null, width, tokens, startPos, shape, plain.Dev);
        AssertSameBits(ReadDev(plain.Dev), ReadDev(output.Dev), "mla absorbed output with lse");
    }

    public static TheoryData<int, int, int, int> MlaAbsorbedBf16CacheCases => new()
    {
        // heads, tokens, startPos, top-k width (0: no indices, keys 0..startPos+i); kv_lora 512, rope 64 (V3.2's row),
        // so on Hopper the warpgroup kernels take them: key splits (8, 24, 4 tokens) and one split (140 tokens)
        { 128, 8, 300, 0 },
        { 128, 24, 600, 256 },
        { 128, 140, 300, 64 },
        { 128, 4, 3000, 2048 },
        { 128, 8, 3000, 0 },       // rows past 2048 slots (the probability loop); 12-tile splits wrap the PV ring
        { 128, 48, 400, 0 },       // 7- and 14-tile splits wrap both rings; causal rows end early (the -inf fill)
        { 128, 24, 100, 256 },     // rows with fewer keys than the width: -1 slots
        { 64, 24, 600, 256 },      // half a 128-head score block
        { 16, 8, 300, 256 },       // a tensor-parallel shard's heads
        { 192, 8, 300, 256 },      // more than one 128-head block
    };

    /// <summary>
    /// The cache and wkv_b in the device's Bf16StorageType, as the model keeps them (read in place on the GPU), with and
    /// without the log-sum-exp; the output keeps every bit when the lse is asked for.
    /// </summary>
    [Theory]
    [MemberData(nameof(MlaAbsorbedBf16CacheCases))]
    public void MlaAbsorbedOverBf16CacheMatchesReference(int heads, int tokens, int startPos, int topk)
    {
        var data = new OpData(29);
        var shape = new MlaShape(heads, 128, 64, 128, 512, 0.0723f);
        var end = startPos + tokens;
        var sparse = topk > 0;
        var q = Floats(data.Activations((long)tokens * shape.Heads * shape.QkDim));
        var wkvb = Bf16Values(data.Activations((long)shape.Heads * shape.KvBDim * shape.KvLora, 0.05f));
        var latent = Bf16Values(data.Activations((long)end * shape.KvLora));
        var ropeKeys = Bf16Values(data.Activations((long)end * shape.Rope));
        var (indices, width) = sparse ? Selection(data, tokens, startPos, topk) : (default, 0);
        var output = Zeros(DType.F32, (long)tokens * shape.Heads * shape.V);
        var lse = Zeros(DType.F32, (long)tokens * shape.Heads);
        Device.MlaAbsorbed(q.Dev, wkvb.Dev, latent.Dev, ropeKeys.Dev, sparse ? indices.Dev : null, width, tokens, startPos, shape, output.Dev, lse.Dev);
        Reference.MlaAbsorbed(q.Ref, wkvb.Ref, latent.Ref, ropeKeys.Ref, sparse ? indices.Ref : null, width, tokens, startPos, shape, output.Ref, lse.Ref);
        AssertClose(output, Bf16Tolerance, "mla absorbed over a bf16 cache");
        AssertClose(lse, Bf16Tolerance, "mla absorbed over a bf16 cache: lse");
        var plain = Zeros(DType.F32, output.Dev.Length);
        Device.MlaAbsorbed(q.Dev, wkvb.Dev, latent.Dev, ropeKeys.Dev, sparse ? indices.Dev : null, width, tokens, startPos, shape, plain.Dev);
        AssertSameBits(ReadDev(plain.Dev), ReadDev(output.Dev), "mla absorbed over a bf16 cache: output with lse");
    }

    /// <summary>Random valid key sets: row i holds min(k, visible) distinct sorted positions ≤ startPos+i, then -1s.</summary>
    private ((DeviceBuffer Dev, DeviceBuffer Ref) Indices, int Width) Selection(OpData data, int tokens, int startPos, int k)
    {
        var width = Math.Min(k, startPos + tokens);
        var rows = new int[tokens * width];
        rows.AsSpan().Fill(-1);
        for (var i = 0; i < tokens; i++)
        {
            var visible = startPos + i + 1;
            var pick = Enumerable.Range(0, visible).OrderBy(_ => data.Next(int.MaxValue)).Take(Math.Min(width, visible)).Order().ToArray();
            pick.CopyTo(rows, i * width);
        }
        return (Ints(rows), width);
    }
}
