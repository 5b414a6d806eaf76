using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;
using SeekSharp.Cuda;

namespace SeekSharp.Cli.Commands.Gpu;

/// <summary>
/// Times the DSA attention ops of one layer at real dimensions on a device, in the cases torch_dsa_bench.py measures:
/// decode (B sequences × context L: indexer scores + top-k, sparse absorbed MLA over 2048 keys) and prefill (a chunk
/// of T queries at the end of a context of L). The caches live in one paged pool (blocks of 64) as in the serving engine,
/// and each op runs once for the whole batch (the paged ops of <see cref="IComputeDevice"/>).
/// </summary>
public sealed class DsaOpBench(IComputeDevice device, int repetitions, Action<string> log)
{
    private readonly MlaShape _shape = new(RealDims.Heads, RealDims.Nope, RealDims.Rope, RealDims.V, RealDims.KvLora, RealDims.SoftmaxScale);
    private readonly MedianTimer _timer = new(device, repetitions, log);

    private string CacheName => device.Bf16StorageType == DType.BF16 ? "bf16" : "fp32";

    public List<DsaBenchRow> Decode(int batch, int context)
    {
        using var data = new DsaBenchData(device, batch, context, queries: 1, _shape);
        var rows = new List<DsaBenchRow>();
        var k = Math.Min(RealDims.TopK, context);
        var indexBytes = (double)batch * context * (RealDims.IndexDim + 4);
        var mlaBytes = (double)batch * k * (RealDims.KvLora + RealDims.Rope) * device.Bf16StorageType.SizeOf();

        var scores = Time(data.Scores);
        rows.Add(new("decode", batch, context, "index_scores", scores, batch * RealDims.IndexerFlop(context), indexBytes, "FP8 q·k, ReLU, head sum"));
        var topk = Time(() => data.TopK(k));
        rows.Add(new("decode", batch, context, "topk", topk, 0, (double)batch * context * 4, $"{k} of {context}"));
        var mla = Time(() => data.Attend(k));
        rows.Add(new("decode", batch, context, "sparse_mla", mla, batch * RealDims.SparseMlaFlop(k), mlaBytes, $"absorbed (W_UK, W_UV included), {CacheName} latent"));
        if (device is CudaDevice)
        {
            // the FP8 latent cache: 528-byte latent rows (+ the bf16 k_pe rows), the selected rows decoded per call
            var fp8Bytes = (double)batch * k * (Fp8LatentRow.Bytes(RealDims.KvLora) + RealDims.Rope * 2);
            rows.Add(new("decode", batch, context, "sparse_mla_fp8", Time(() => data.AttendFp8(k)), batch * RealDims.SparseMlaFlop(k), fp8Bytes,
                "absorbed over FP8 latent rows (656 B a token with k_pe), decoded to bf16 key rows"));
        }
        var step = Time(() => data.Step(k));
        rows.Add(new("decode", batch, context, "step", step, batch * (RealDims.IndexerFlop(context) + RealDims.SparseMlaFlop(k)),
            indexBytes + mlaBytes, "indexer + top-k + sparse MLA"));
        if (TimeGraph(data, k) is { } graphed)
            rows.Add(new("decode", batch, context, "step_graph", graphed, batch * (RealDims.IndexerFlop(context) + RealDims.SparseMlaFlop(k)),
                indexBytes + mlaBytes, "the step as one CUDA graph replay"));
        return rows;
    }

    public List<DsaBenchRow> Prefill(int chunk, int context)
    {
        using var data = new DsaBenchData(device, 1, context, queries: chunk, _shape);
        var rows = new List<DsaBenchRow>();
        var startPos = context - chunk;
        var k = Math.Min(RealDims.TopK, context);
        var visible = (long)chunk * startPos + (long)chunk * (chunk + 1) / 2;
        var scores = Time(data.Scores);
        rows.Add(new("prefill", chunk, context, "index_scores", scores, RealDims.IndexerFlop(visible), (double)context * (RealDims.IndexDim + 4), "FP8, causal"));
        var topk = Time(() => data.TopK(k));
        rows.Add(new("prefill", chunk, context, "topk", topk, 0, (double)chunk * context * 4, $"{chunk} rows, {k} of ≤ {context}"));
        var mla = Time(() => data.Attend(k));
        rows.Add(new("prefill", chunk, context, "sparse_mla", mla, chunk * RealDims.SparseMlaFlop(k),
            (double)context * (RealDims.KvLora + RealDims.Rope) * device.Bf16StorageType.SizeOf(), $"absorbed (W_UK, W_UV included), {CacheName} latent"));
        var flop = RealDims.IndexerFlop(visible) + chunk * RealDims.SparseMlaFlop(k);
        var step = Time(() => data.Step(k));
        rows.Add(new("prefill", chunk, context, "step", step, flop, 0, "indexer + top-k + sparse MLA"));
        if (TimeGraph(data, k) is { } graphed)
            rows.Add(new("prefill", chunk, context, "step_graph", graphed, flop, 0, "the step as one CUDA graph replay"));
        return rows;
    }

    /// <summary>
    /// A prompt's first chunk of <paramref name="chunk"/> tokens in the MHA form (the reference's prefill from position 0,
    /// as the engine runs a first chunk): k_nope and v expanded per head, attention over each row's top-k of its causal
    /// keys (every causal key below 2048, then 2048 of them). FLOPs: the ideal MHA form's, 2 × (192 + 128) per head and
    /// attended key.
    /// </summary>
    public DsaBenchRow FirstChunk(int chunk)
    {
        int heads = _shape.Heads, qk = _shape.QkDim, kvbWidth = _shape.KvBDim, width = Math.Min(RealDims.TopK, chunk);
        var random = new Random(23);
        float[] Values(long count, float scale) =>
            [.. Enumerable.Range(0, checked((int)count)).Select(_ => BFloat16Math.Round((random.NextSingle() - 0.5f) * scale))];
        // the selections as the engine makes them: the device's top-k of random causal scores (every causal key below
        // `width` positions, then `width` of them, ascending, -1 past)
        var attended = 0L;
        for (var i = 0; i < chunk; i++) attended += Math.Min(i + 1, width);
        using var q = device.Allocate(DType.F32, (long)chunk * heads * qk);
        using var kvb = device.Allocate(DType.F32, (long)chunk * heads * kvbWidth);
        using var ropeKeys = device.Allocate(DType.F32, (long)chunk * _shape.Rope);
        using var scores = device.Allocate(DType.F32, (long)chunk * chunk);
        using var indices = device.Allocate(DType.I32, (long)chunk * width);
        using var output = device.Allocate(DType.F32, (long)chunk * heads * _shape.V);
        device.Upload<float>(Values(q.Length, 2f), q);
        device.Upload<float>(Values(kvb.Length, 2f), kvb);
        device.Upload<float>(Values(ropeKeys.Length, 2f), ropeKeys);
        device.Upload<float>([.. Enumerable.Range(0, checked((int)scores.Length)).Select(_ => random.NextSingle())], scores);   // distinct, no ties
        device.TopK(scores, chunk, 0, width, indices);
        var ms = Time(() => device.MlaPrefill(q, kvb, ropeKeys, indices, width, chunk, _shape, output));
        return new DsaBenchRow("prefill", chunk, chunk, "mla_mha", ms, 2.0 * attended * heads * (qk + _shape.V), 0,
            $"a prompt's first {chunk} tokens in the MHA form, top-{width} of the causal keys");
    }

    /// <summary>The step captured as a CUDA graph and replayed (what PyTorch's step_graph does); null off CUDA or if capture fails.</summary>
    private double? TimeGraph(DsaBenchData data, int k)
    {
        if (device is not CudaDevice cuda) return null;
        try
        {
            using var graph = cuda.Capture(() => data.Step(k));
            return Time(() => cuda.Replay(graph));
        }
        catch (Exception e)
        {
            log($"  step_graph: capture failed: {e.Message}");
            return null;
        }
    }

    /// <summary>Median wall time in ms of <paramref name="body"/> followed by a device sync, after one warm-up run.</summary>
    private double Time(Action body) => _timer.Time(body);
}

/// <summary>
/// Random operands of the DSA ops: B sequences of context L in one paged pool (sequence b owns blocks
/// [b·L/64, (b+1)·L/64)), filled on the device by tiling one random block; <paramref name="queries"/> rows per sequence
/// at its last positions.
/// </summary>
internal sealed class DsaBenchData : IDisposable
{
    private const int BlockSize = 64;
    private readonly IComputeDevice _d;
    private readonly MlaShape _shape;
    private readonly List<DeviceBuffer> _owned = [];
    private readonly PagedRows _rows;
    private readonly DeviceBuffer _keys, _keyScales, _latent, _ropeKeys;
    private readonly DeviceBuffer? _latentFp8;
    private readonly DeviceBuffer _q8, _weights, _q, _wkvb, _scores, _indices, _output;

    public DsaBenchData(IComputeDevice device, int batch, int context, int queries, MlaShape shape)
    {
        _d = device;
        _shape = shape;
        var random = new Random(batch * 1_000_003 + context);
        var seedFloats = Alloc(DType.F32, 1 << 22);
        var values = new float[1 << 22];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        device.Upload<float>(values, seedFloats);
        var cacheSeed = Bf16Storage.Upload(device, values);   // the same values in the device's bf16 storage type
        _owned.Add(cacheSeed);
        var seedBytes = Alloc(DType.U8, 1 << 22);
        var codes = new byte[1 << 22];
        random.NextBytes(codes);
        for (var i = 0; i < codes.Length; i++) if ((codes[i] & 0x7F) == 0x7F) codes[i] = 0x3F;   // no NaN codes
        device.Upload<byte>(codes, seedBytes);

        var blocksPerSequence = (context + BlockSize - 1) / BlockSize;
        long poolRows = (long)batch * blocksPerSequence * BlockSize;
        _keys = Filled(DType.U8, poolRows * RealDims.IndexDim, seedBytes);
        _keyScales = Filled(DType.F32, poolRows, seedFloats);
        // the latent cache (and below wkv_b) as the model keeps them on this device
        _latent = Filled(device.Bf16StorageType, poolRows * shape.KvLora, cacheSeed);
        _ropeKeys = Filled(device.Bf16StorageType, poolRows * shape.Rope, cacheSeed);
        if (device is CudaDevice)
        {
            // FP8 latent rows of the same random values, one encoded block of rows tiled over the pool
            var rowBytes = Fp8LatentRow.Bytes(shape.KvLora);
            var encoded = new byte[4096L * rowBytes];
            for (var r = 0; r < 4096; r++)
                Fp8LatentRow.Encode(values.AsSpan(r * shape.KvLora % (values.Length - shape.KvLora), shape.KvLora), encoded.AsSpan(r * rowBytes, rowBytes));
            var fp8Seed = Alloc(DType.U8, encoded.Length);
            device.Upload<byte>(encoded, fp8Seed);
            _latentFp8 = Filled(DType.U8, poolRows * rowBytes, fp8Seed);
        }

        var table = new int[batch * blocksPerSequence];
        for (var i = 0; i < table.Length; i++) table[i] = i;
        var rowSequences = new int[batch * queries];
        var rowPositions = new int[batch * queries];
        for (var b = 0; b < batch; b++)
            for (var i = 0; i < queries; i++)
            {
                rowSequences[b * queries + i] = b;
                rowPositions[b * queries + i] = context - queries + i;
            }
        _rows = PagedRows.Create(device, rowSequences, rowPositions, table, blocksPerSequence, BlockSize);

        var n = (long)batch * queries;
        _q8 = Filled(DType.U8, n * RealDims.IndexHeads * RealDims.IndexDim, seedBytes);
        _weights = Filled(DType.F32, n * RealDims.IndexHeads, seedFloats);
        _q = Filled(DType.F32, n * shape.Heads * shape.QkDim, seedFloats);
        _wkvb = Filled(device.Bf16StorageType, (long)shape.Heads * shape.KvBDim * shape.KvLora, cacheSeed);
        _scores = Alloc(DType.F32, n * context);
        _indices = Alloc(DType.I32, n * Math.Min(RealDims.TopK, context));
        _output = Alloc(DType.F32, n * shape.Heads * shape.V);
        device.Synchronize();
    }

    public void Scores() =>
        _d.IndexScoresPaged(_q8, _weights, _keys, _keyScales, _rows, RealDims.IndexHeads, RealDims.IndexDim, _scores);

    public void TopK(int k) => _d.TopKPaged(_scores, _rows, k, _indices);

    public void Attend(int k) => _d.MlaAbsorbedPaged(_q, _wkvb, _latent, _ropeKeys, _indices, k, _rows, _shape, _output);

    /// <summary><see cref="Attend"/> over the FP8 latent rows (CUDA only).</summary>
    public void AttendFp8(int k) => _d.MlaAbsorbedPaged(_q, _wkvb, _latentFp8!, _ropeKeys, _indices, k, _rows, _shape, _output);

    /// <summary>The DSA step: indexer scores, top-k, sparse MLA.</summary>
    public void Step(int k)
    {
        Scores();
        TopK(k);
        Attend(k);
    }

    private DeviceBuffer Alloc(DType dtype, long length)
    {
        var buffer = _d.Allocate(dtype, length);
        _owned.Add(buffer);
        return buffer;
    }

    private DeviceBuffer Filled(DType dtype, long length, DeviceBuffer seed)
    {
        var buffer = Alloc(dtype, length);
        for (long at = 0; at < length; at += seed.Length)
            _d.Copy(seed, 0, buffer, at, Math.Min(seed.Length, length - at));
        return buffer;
    }

    public void Dispose()
    {
        _rows.Dispose();
        foreach (var buffer in _owned) buffer.Dispose();
    }
}
