using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// Kernels/mla_attention.cu: MLA over selected keys in MHA (prefill) and absorbed (MQA) form; the absorbed form runs on
/// tensor cores (Kernels/mla_absorbed_tc.cu) when its shape fits, else on mla_attention.cu's general kernel.
/// Temporaries come from <paramref name="scratch"/> (the device's caching allocator) or, without one, from an allocator
/// of the launcher's own; either way they are reused in stream order. With <paramref name="blas"/> the tensor-core form's
/// two absorption products (W_UK, W_UV per head) are head-batched cuBLAS GEMMs; without it, kernels of our own.
/// </summary>
internal sealed class MlaLauncher(KernelLibrary library, Func<DType, long, CudaBuffer>? scratch = null, CublasGemm? blas = null)
{
    private const int Threads = 256;            // MLA_THREADS
    private const int MaxPerLane = 8;           // prefill: nope + rope ≤ 256, v ≤ 256
    private const int HeadsPerBlock = 8;        // MLA_HG
    private const int MaxLora = 256 * 4;        // MLA_THREADS × MLA_MAX_LORA_PER_THREAD
    private const int MaxScoreChunk = 2048;     // key slots whose scores the absorbed kernel keeps at once

    private readonly Lazy<CudaFunction> _prefill = new(() => library.Module("mla_attention.cu").Function("mla_prefill"));
    private readonly Lazy<CudaFunction> _absorbed = new(() => DsaLaunch.Load(library, "mla_attention.cu", "mla_absorbed"));
    private readonly Lazy<CudaFunction> _absorbedBf16 = new(() => DsaLaunch.Load(library, "mla_attention.cu", "mla_absorbed_bf16"));
    private Lazy<int> _absorbedStaticShared => field ??= new(() => _absorbed.Value.StaticSharedBytes());

    // tensor-core absorbed path (mla_absorbed_tc.cu)
    private const string TcFile = "mla_absorbed_tc.cu";
    private const int TcTile = 32;              // MTC_TILE: key slots per tile
    private const int TcQkHeads = 128;          // MTC_QK_HEADS
    private const int TcPvHeads = 64;           // MTC_PV_HEADS
    private const int TcMaxKw = 576;            // MTC_MAX_KW
    private const int TcMaxLora = 512;          // MTC_MAX_LORA
    private const int TcGemmTile = 128;         // MTC_GM
    private const int TcGemvRows = 4;           // MTC_GEMV_M: query rows the matrix-vector kernel takes
    private const long TcChunkBytes = 1L << 30; // temporaries per token chunk (1 GiB)
    private readonly Lazy<CudaFunction> _tcKeys = new(() => library.Module(TcFile).Function("mla_abs_keys"));
    private readonly Lazy<CudaFunction> _tcKeysFp8 = new(() => library.Module(TcFile).Function("mla_abs_keys_fp8"));
    private readonly Lazy<CudaFunction> _tcQpe = new(() => library.Module(TcFile).Function("mla_abs_qpe"));
    private readonly Lazy<CudaFunction> _tcQsplit = new(() => library.Module(TcFile).Function("mla_abs_qsplit"));
    private readonly Lazy<CudaFunction> _tcGemv = new(() => library.Module(TcFile).Function("mla_abs_gemv"));
    private readonly Lazy<CudaFunction> _tcProb = new(() => library.Module(TcFile).Function("mla_abs_prob"));
    private readonly Lazy<CudaFunction> _tcCombine = new(() => library.Module(TcFile).Function("mla_abs_combine"));
    private readonly Lazy<CudaFunction> _tcGemm = new(() => library.Module(TcFile).Function("mla_abs_gemm"));
    private readonly Lazy<CudaFunction> _tcQk = new(() => DsaLaunch.Load(library, TcFile, "mla_abs_qk"));
    private readonly Lazy<CudaFunction> _tcQkDirect = new(() => DsaLaunch.Load(library, TcFile, "mla_abs_qk_direct"));
    private readonly Lazy<CudaFunction> _tcPv = new(() => DsaLaunch.Load(library, TcFile, "mla_abs_pv"));
    private readonly Lazy<CudaFunction> _roundRows = new(() => library.Module("elementwise.cu").Function("round_bf16_rows"));
    private readonly MlaSparseWarpgroup _warpgroup = new(library);
    private MlaPrefillTensorCores _prefillTensorCores => field ??= new(library, (dtype, length) => Scratch(dtype, length));
    private CachingAllocator? _ownAllocator;

    /// <summary>
    /// MHA form for a prompt at positions 0..tokens-1: q F32 [tokens, heads, nope+rope], kvb F32 [tokens, heads, nope+v],
    /// ropeKeys F32 [≥ tokens, rope], indices I32 [tokens, indexWidth] (-1 unused) or null (keys 0..i),
    /// output F32 [tokens, heads, v]; lse F32 [tokens, heads] (ln Σ exp of the scaled scores, -inf for no key) or null.
    /// </summary>
    public void MlaPrefill(CudaStream stream, CudaBuffer q, CudaBuffer kvb, CudaBuffer ropeKeys, CudaBuffer? indices,
        int indexWidth, int tokens, MlaShape shape, CudaBuffer output, CudaBuffer? lse = null)
    {
        const string op = "mla_prefill";
        CheckShape(op, shape);
        if (shape.QkDim > 32 * MaxPerLane) throw new ArgumentException($"{op}: nope + rope = {shape.QkDim} exceeds {32 * MaxPerLane}", nameof(shape));
        if (shape.V > 32 * MaxPerLane) throw new ArgumentException($"{op}: v = {shape.V} exceeds {32 * MaxPerLane}", nameof(shape));
        DsaLaunch.NotNegative(op, nameof(tokens), tokens);
        if (tokens == 0) return;
        DsaLaunch.GridY(op, nameof(tokens), tokens);
        long rows = (long)tokens * shape.Heads;
        DsaLaunch.Check(op, nameof(q), q, DType.F32, rows * shape.QkDim);
        DsaLaunch.Check(op, nameof(kvb), kvb, DType.F32, rows * shape.KvBDim);
        DsaLaunch.Check(op, nameof(ropeKeys), ropeKeys, DType.F32, (long)tokens * shape.Rope);
        CheckIndices(op, indices, indexWidth, tokens);
        DsaLaunch.Check(op, nameof(output), output, DType.F32, rows * shape.V);
        CheckLse(op, lse, rows);

        if (MlaPrefillTensorCores.Fits(shape) && _prefillTensorCores.Available)
        {
            _prefillTensorCores.Run(stream, q, kvb, ropeKeys, indices, indexWidth, tokens, shape, output, lse);
            return;
        }
        // one block per (head, token), static shared only
        _prefill.Value.Launch(stream, new Dim3((uint)shape.Heads, (uint)tokens), new Dim3(Threads), 0, new KernelArgs()
            .Ptr(q.Pointer).Ptr(kvb.Pointer).Ptr(ropeKeys.Pointer).Ptr(indices?.Pointer ?? 0).Ptr(output.Pointer)
            .Ptr(lse?.Pointer ?? 0)
            .Int(indexWidth).Int(shape.Heads).Int(shape.Nope).Int(shape.Rope).Int(shape.V).Float(shape.SoftmaxScale));
    }

    /// <summary>
    /// Absorbed form for queries at positions startPos+i: q F32 [tokens, heads, nope+rope], wkvb [heads, nope+v, kvLora],
    /// latent [≥ end, kvLora] and ropeKeys [≥ end, rope] (bf16 values: F32, or BF16; the cache buffers alike), indices I32
    /// [tokens, indexWidth] or null (keys 0..startPos+i), output F32 [tokens, heads, v]; end = startPos + tokens;
    /// lse F32 [tokens, heads] or null, as in <see cref="MlaPrefill"/>.
    /// </summary>
    public void MlaAbsorbed(CudaStream stream, CudaBuffer q, CudaBuffer wkvb, CudaBuffer latent, CudaBuffer ropeKeys,
        CudaBuffer? indices, int indexWidth, int tokens, int startPos, MlaShape shape, CudaBuffer output, CudaBuffer? lse = null)
    {
        const string op = "mla_absorbed";
        DsaLaunch.NotNegative(op, nameof(startPos), startPos);
        long end = (long)startPos + tokens;
        if (end > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(startPos), $"{op}: startPos + tokens = {end} exceeds int range");
        if (!CheckAbsorbed(op, q, wkvb, latent, ropeKeys, indices, indexWidth, tokens, end, shape, output, lse)) return;

        if (TensorCoreEnabled && TensorCoreFits(shape, latent.DType))
        {
            AbsorbedTensorCores(stream, q, wkvb, latent, ropeKeys, indices, indexWidth, tokens, startPos, end, shape, output, lse);
            return;
        }
        AbsorbedGeneral(stream, q, wkvb, latent, ropeKeys, indices, indexWidth, tokens, startPos, shape, output, lse);
    }

    /// <summary>
    /// Absorbed MLA over explicit cache rows (the paged form): rows I32 [tokens, width] are rows of latent [≥ poolRows,
    /// kvLora] and ropeKeys [≥ poolRows, rope], -1 unused; every value must be below <paramref name="poolRows"/>;
    /// lse F32 [tokens, heads] or null, as in <see cref="MlaPrefill"/>.
    /// </summary>
    public void MlaAbsorbedRows(CudaStream stream, CudaBuffer q, CudaBuffer wkvb, CudaBuffer latent, CudaBuffer ropeKeys,
        CudaBuffer rows, int width, int tokens, long poolRows, MlaShape shape, CudaBuffer output, CudaBuffer? lse = null)
    {
        const string op = "mla_absorbed_paged";
        if (tokens > 0 && width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, $"{op}: at least one key slot per row");
        if (!CheckAbsorbed(op, q, wkvb, latent, ropeKeys, rows, width, tokens, poolRows, shape, output, lse)) return;
        // how the call is split and what it converts follows the pool's size, not the rows this call reaches: a replayed
        // decode graph keeps those choices while its sequences grow
        var fp8 = latent.DType == DType.U8;
        var capacity = latent.Length / (fp8 ? Fp8LatentRow.Bytes(shape.KvLora) : shape.KvLora);
        // FP8 latent rows only go through the tensor-core path: the selected rows are decoded into bf16 key rows first
        if (fp8 && !TensorCoreFits(shape, DType.BF16))
            throw new NotSupportedException($"{op}: an FP8 latent cache needs the tensor-core kernels, which do not take shape {shape}");
        if (fp8 || (TensorCoreEnabled && TensorCoreFits(shape, latent.DType)))
            AbsorbedTensorCores(stream, q, wkvb, latent, ropeKeys, rows, width, tokens, 0, capacity, shape, output, lse);
        else
            AbsorbedGeneral(stream, q, wkvb, latent, ropeKeys, rows, width, tokens, 0, shape, output, lse);
    }

    /// <summary>
    /// The checks both absorbed forms share: shape, token count, and every buffer's dtype and length, the cache buffers
    /// holding <paramref name="keyRows"/> rows. False when there is nothing to do (no tokens).
    /// </summary>
    private static bool CheckAbsorbed(string op, CudaBuffer q, CudaBuffer wkvb, CudaBuffer latent, CudaBuffer ropeKeys,
        CudaBuffer? indices, int indexWidth, int tokens, long keyRows, MlaShape shape, CudaBuffer output, CudaBuffer? lse)
    {
        CheckShape(op, shape);
        if (shape.KvLora > MaxLora) throw new ArgumentException($"{op}: kvLora = {shape.KvLora} exceeds {MaxLora}", nameof(shape));
        DsaLaunch.NotNegative(op, nameof(tokens), tokens);
        if (tokens == 0) return false;
        DsaLaunch.GridY(op, nameof(tokens), tokens);
        long rows = (long)tokens * shape.Heads;
        DsaLaunch.Check(op, nameof(q), q, DType.F32, rows * shape.QkDim);
        DsaLaunch.Check(op, nameof(wkvb), wkvb, wkvb.DType == DType.BF16 ? DType.BF16 : DType.F32, (long)shape.Heads * shape.KvBDim * shape.KvLora);
        // the cache: F32 holding bf16 values, or BF16 (both buffers the same), or FP8 latent rows with either rope cache
        if (latent.DType == DType.U8)
        {
            DsaLaunch.Check(op, nameof(latent), latent, DType.U8, keyRows * Fp8LatentRow.Bytes(shape.KvLora));
            DsaLaunch.Check(op, nameof(ropeKeys), ropeKeys, ropeKeys.DType == DType.F32 ? DType.F32 : DType.BF16, keyRows * shape.Rope);
        }
        else
        {
            var cacheType = latent.DType == DType.BF16 ? DType.BF16 : DType.F32;
            DsaLaunch.Check(op, nameof(latent), latent, cacheType, keyRows * shape.KvLora);
            DsaLaunch.Check(op, nameof(ropeKeys), ropeKeys, cacheType, keyRows * shape.Rope);
        }
        CheckIndices(op, indices, indexWidth, tokens);
        DsaLaunch.Check(op, nameof(output), output, DType.F32, rows * shape.V);
        CheckLse(op, lse, rows);
        return true;
    }

    /// <summary>The fp32 CUDA-core kernel (over an F32 or a BF16 cache): 8 heads of one query per block.</summary>
    private void AbsorbedGeneral(CudaStream stream, CudaBuffer q, CudaBuffer wkvb, CudaBuffer latent, CudaBuffer ropeKeys,
        CudaBuffer? indices, int indexWidth, int tokens, int startPos, MlaShape shape, CudaBuffer output, CudaBuffer? lse)
    {
        const string op = "mla_absorbed";
        if (latent.DType != wkvb.DType)
            throw new NotSupportedException($"{op}: shape {shape} runs on the general kernel, which takes wkvb and the cache both F32 or both BF16, not {wkvb.DType} and {latent.DType}");
        long end = (long)startPos + tokens;
        // shared floats: q̂ [8][kvLora+rope] | o_lat [8][max(kvLora, nope)] | scores [chunk][8]; the chunk of key slots
        // scored at once is the longest key list (≤ 2048), shrunk if the device's shared memory is smaller
        var fixedFloats = HeadsPerBlock * ((long)shape.KvLora + shape.Rope + Math.Max(shape.KvLora, shape.Nope));
        long keys = indices is null ? end : indexWidth;
        var limit = Math.Max(library.Context.MaxSharedMemoryPerBlockOptIn, 48 * 1024) - _absorbedStaticShared.Value;
        var room = limit / sizeof(float) - fixedFloats;
        var chunk = (int)Math.Min(Math.Min(Math.Max(keys, 1), MaxScoreChunk), room / HeadsPerBlock);
        if (chunk < 1)
            throw new ArgumentException($"{op}: kvLora {shape.KvLora}, rope {shape.Rope} need more shared memory than the device's {limit} bytes", nameof(shape));
        var shared = checked((int)((fixedFloats + (long)HeadsPerBlock * chunk) * sizeof(float)));

        var grid = new Dim3((uint)((shape.Heads + HeadsPerBlock - 1) / HeadsPerBlock), (uint)tokens);
        (latent.DType == DType.BF16 ? _absorbedBf16 : _absorbed).Value.Launch(stream, grid, new Dim3(Threads), shared, new KernelArgs()
            .Ptr(q.Pointer).Ptr(wkvb.Pointer).Ptr(latent.Pointer).Ptr(ropeKeys.Pointer).Ptr(indices?.Pointer ?? 0).Ptr(output.Pointer)
            .Ptr(lse?.Pointer ?? 0).Int(indexWidth).Int(startPos).Int(shape.Heads).Int(shape.Nope).Int(shape.Rope).Int(shape.V).Int(shape.KvLora)
            .Int(chunk).Float(shape.SoftmaxScale));
    }

    // SEEKSHARP_MLA_TC=0 selects the general fp32 kernel instead (for A/B timing)
    private static readonly bool TensorCoreEnabled = Environment.GetEnvironmentVariable("SEEKSHARP_MLA_TC") != "0";

    // SEEKSHARP_MLA_ABSORB=own keeps the absorption products of an F32 wkvb on mla_abs_gemm/gemv even with cuBLAS (for
    // A/B timing; those kernels read F32 weights only, so a BF16 wkvb always goes through cuBLAS)
    private static readonly bool OwnAbsorption = Environment.GetEnvironmentVariable("SEEKSHARP_MLA_ABSORB") == "own";

    /// <summary>cuBLAS for the absorption products of an F32 wkvb, when the device gave us a handle.</summary>
    private CublasGemm? Blas => OwnAbsorption ? null : blas;

    /// <summary>
    /// kv_lora a multiple of 128 up to 512, kv_lora + rope (rounded up to 16) up to 576, nope, rope and v multiples of 4
    /// (the GEMM reads float4 rows; rope of 8 for a bf16 cache), and the key tiles fit in shared memory.
    /// </summary>
    private bool TensorCoreFits(MlaShape shape, DType cacheType)
    {
        if (shape.KvLora % 128 != 0 || shape.KvLora > TcMaxLora || RowWidth(shape) > TcMaxKw) return false;
        if (shape.Nope % 4 != 0 || shape.Rope % 4 != 0 || shape.V % 4 != 0) return false;
        if (cacheType == DType.BF16 && shape.Rope % 8 != 0) return false;   // a bf16 cache's rope rows in 16-byte pieces
        var limit = Math.Max(library.Context.MaxSharedMemoryPerBlockOptIn, 48 * 1024) - 1024;   // less the kernels' static bytes
        return QkShared(shape) <= limit && PvShared(shape) <= limit;
    }

    /// <summary>kw: a bf16 key row (latent | k_pe) padded to 16 values.</summary>
    private static int RowWidth(MlaShape shape) => (shape.KvLora + shape.Rope + 15) / 16 * 16;

    // dynamic shared bytes: a ring of three key tiles [32][kw + 8] bf16
    private static int QkShared(MlaShape shape) => 3 * TcTile * (RowWidth(shape) + 8) * sizeof(ushort);

    // two bf16 key tiles [32][kw + 8] | two F32 staging tiles [32][kw]
    private static int QkDirectShared(MlaShape shape) =>
        2 * TcTile * (RowWidth(shape) + 8) * sizeof(ushort) + 2 * TcTile * RowWidth(shape) * sizeof(float);

    /// <summary>Whether mla_abs_qk_direct's staging fits the device's shared memory (else gathered rows take their own pass).</summary>
    private bool QkDirectFits(MlaShape shape) =>
        QkDirectShared(shape) <= library.Context.MaxSharedMemoryPerBlockOptIn - _tcQkDirect.Value.StaticSharedBytes();

    // three key tiles [32][kv_lora/2 + 8] bf16 | three P tiles [64][40] bf16
    private static int PvShared(MlaShape shape) =>
        3 * TcTile * (shape.KvLora / 2 + 8) * sizeof(ushort) + 3 * TcPvHeads * (TcTile + 8) * sizeof(ushort);

    /// <summary>
    /// kc [rows, kw] bf16 key rows (latent | k_pe | zeros) of the cache rows idx names (I32 pointer, -1: zeros) or, with
    /// none, of rows 0..rows-1: from an F32 cache (mla_abs_keys) or from FP8 latent rows and a BF16 rope cache.
    /// </summary>
    private void KeyRows(CudaStream stream, CudaBuffer latent, CudaBuffer ropeKeys, nint? idx, CudaBuffer kc, long rows, MlaShape shape)
    {
        var kw = RowWidth(shape);
        if (latent.DType == DType.U8)
            _tcKeysFp8.Value.Launch(stream, new Dim3((uint)rows), new Dim3(64), 0, new KernelArgs()
                .Ptr(latent.Pointer).Int(Fp8LatentRow.Bytes(shape.KvLora)).Ptr(ropeKeys.Pointer).Int(ropeKeys.DType == DType.F32 ? 1 : 0)
                .Ptr(idx ?? 0).Ptr(kc.Pointer).Int(shape.KvLora).Int(shape.Rope).Int(kw));
        else
            _tcKeys.Value.Launch(stream, new Dim3((uint)rows), new Dim3(64), 0, new KernelArgs()
                .Ptr(latent.Pointer).Ptr(ropeKeys.Pointer).Ptr(idx ?? 0).Ptr(kc.Pointer).Int(shape.KvLora).Int(shape.Rope).Int(kw));
    }

    private CudaBuffer Scratch(DType dtype, long length)
    {
        if (scratch is not null) return scratch(dtype, Math.Max(length, 1));
        _ownAllocator ??= new CachingAllocator(library.Context);
        return new CudaBuffer(_ownAllocator, dtype, Math.Max(length, 1));
    }

    /// <summary>
    /// The absorbed form on tensor cores, in chunks of query tokens (temporaries ≤ about 1 GiB each). A bf16 cache is read
    /// in place; an F32 one is converted to bf16 rows kc [rows, kw] (all positions &lt; end, or only the selected ones
    /// when fewer). Per chunk: qa = bf16(W_UK^T q_nope) | q_pe (cuBLAS), fp32 scores (mla_abs_qk),
    /// p = bf16(exp(s - max) / sum) with each row's max and sum (mla_abs_prob), the weighted latent sums per split (mla_abs_pv),
    /// o_lat = bf16(Σ splits) and out = bf16(W_UV · o_lat) (cuBLAS). Splits of the key slots give decode enough blocks.
    /// On Hopper, a bf16 cache of DeepSeek-V3.2's row shape has its scores and weighted sums from mla_sparse_wg.cu's
    /// warpgroup kernels (<see cref="MlaSparseWarpgroup"/>) around the same probabilities kernel.
    /// lse, when asked for, comes from mla_abs_prob's whole-row max and sum: the PV splits come after the normalisation,
    /// so their partial sums need no lse of their own and the combine none to merge.
    /// </summary>
    private void AbsorbedTensorCores(CudaStream stream, CudaBuffer q, CudaBuffer wkvb, CudaBuffer latent, CudaBuffer ropeKeys,
        CudaBuffer? indices, int indexWidth, int tokens, int startPos, long keyRows, MlaShape shape, CudaBuffer output, CudaBuffer? lse)
    {
        const string op = "mla_absorbed";
        int heads = shape.Heads, lora = shape.KvLora, kw = RowWidth(shape), qk = shape.QkDim, kvWidth = shape.KvBDim;
        var sms = Math.Max(library.Context.MultiprocessorCount, 1);
        // keyRows: the cache rows indices can name (positions 0..end-1, or the pool rows of a paged call). Few queries over
        // few selected keys: copy just those rows; otherwise convert every cache row once
        var end = keyRows;
        // a bf16 cache is read where it is; an F32 one is first converted to bf16 kc rows
        var inPlace = latent.DType == DType.BF16;
        var fp8 = latent.DType == DType.U8;
        // FP8 rows are always decoded per selection (never the whole pool when there is a selection)
        var gathered = !inPlace && indices is not null && indexWidth > 0 && (fp8 || (long)tokens * indexWidth < end);
        // gathered rows: the score kernel reads them from the F32 cache itself and writes their bf16 copies for PV
        var direct = gathered && !fp8 && QkDirectFits(shape);
        // a bf16 wkv_b goes through cuBLAS as bf16 (q_nope and o_lat as bf16 too); an F32 one through cuBLAS's
        // fp32-to-bf16 mode or, without cuBLAS, our kernels
        var w16 = wkvb.DType == DType.BF16;
        // Hopper: scores and weighted sums on warpgroup tensor cores (the same probabilities kernel between them)
        var warpgroup = inPlace && MlaSparseWarpgroup.Fits(shape) && _warpgroup.Available;
        var gemm = w16 ? blas ?? throw new NotSupportedException($"{op}: a BF16 wkvb needs cuBLAS") : Blas;

        CudaBuffer? allKeys = null;
        try
        {
            if (!gathered && !inPlace)
            {
                allKeys = Scratch(DType.BF16, (long)end * kw);
                KeyRows(stream, latent, ropeKeys, null, allKeys, end, shape);
            }

            // token chunk from the per-token temporaries (scores and probabilities dominate: heads × slots fp32 + bf16)
            long maxSlots = RoundUp(indices is not null ? indexWidth : end, TcTile);
            long perToken = (long)heads * (kw * 2 + maxSlots * 6 + lora * 6 + 64) + (gathered ? (long)indexWidth * kw * 2 : 0);
            var chunk = (int)Math.Clamp(TcChunkBytes / Math.Max(perToken, 1), 1, tokens);
            if (chunk < tokens && chunk > sms) chunk = chunk / sms * sms;   // whole waves of one-token blocks

            for (var t0 = 0; t0 < tokens; t0 += chunk)
            {
                var tc = Math.Min(chunk, tokens - t0);
                var pos0 = startPos + t0;
                var slotsPad = (int)RoundUp(indices is not null ? indexWidth : pos0 + tc, TcTile);
                var tiles = slotsPad / TcTile;
                // the score kernel holds one block per SM, PV two
                var (qkSplits, qkSlots) = WaveSplits(tiles, sms, (long)tc * CeilDiv(heads, TcQkHeads), 1);
                var (pvSplits, pvSlots) = warpgroup ? _warpgroup.PvSplits(slotsPad, tc, heads)
                    : WaveSplits(tiles, 2L * sms, (long)tc * 2 * CeilDiv(heads, TcPvHeads), 4);
                var idx = indices is null ? 0 : indices.At((long)t0 * indexWidth);

                using var qa = Scratch(DType.BF16, (long)tc * heads * kw);
                using var scores = Scratch(DType.F32, (long)tc * heads * slotsPad);
                using var opart = Scratch(DType.F32, (long)tc * pvSplits * heads * lora);
                using var chunkKeys = gathered ? Scratch(DType.BF16, (long)tc * indexWidth * kw) : null;
                var kc = chunkKeys ?? allKeys;   // null: in place
                if (gathered && !direct) KeyRows(stream, latent, ropeKeys, idx, kc!, (long)tc * indexWidth, shape);

                // qa[:, :, 0..lora) = bf16(W_UK^T q_nope), per head [tc × nope] · [nope × lora]; the rest bf16(q_pe) | 0
                var qChunk = q.At((long)t0 * heads * qk);
                var fewRows = tc <= TcGemvRows && shape.Nope <= TcMaxLora;
                if (w16)
                {
                    // q_nope to bf16 (and qa's rope tail), then cuBLAS writes qa's absorbed part as bf16 itself.
                    // Column-major per head: qa [lora × tc] = W_UK[h] [lora × nope] (row-major [nope, lora]) · q_nope [nope × tc]
                    using var qn = Scratch(DType.BF16, (long)tc * heads * shape.Nope);
                    long splitElems = (long)tc * heads * (shape.Nope + kw - lora);
                    _tcQsplit.Value.Launch(stream, new Dim3((uint)CeilDiv(splitElems, 256)), new Dim3(256), 0, new KernelArgs()
                        .Ptr(qChunk).Ptr(qn.Pointer).Ptr(qa.Pointer).Long((long)tc * heads).Int(shape.Nope).Int(shape.Rope).Int(lora).Int(kw));
                    gemm!.MultiplyBatched(false, lora, tc, shape.Nope, wkvb.Pointer, lora, (long)kvWidth * lora,
                        qn.Pointer, heads * shape.Nope, shape.Nope, qa.Pointer, heads * kw, kw, heads, true, true, $"{op}: W_UK^T q_nope");
                }
                else
                {
                    using var qacc = gemm is null ? null : Scratch(DType.F32, (long)tc * heads * lora);   // [tc, heads, lora]
                    if (qacc is not null)
                        // the same product from the fp32 buffers into qacc, which mla_abs_qpe rounds into qa
                        gemm!.MultiplyBatched(false, lora, tc, shape.Nope, wkvb.Pointer, lora, (long)kvWidth * lora,
                            qChunk, heads * qk, qk, qacc.Pointer, heads * lora, lora, heads, false, false, $"{op}: W_UK^T q_nope");
                    else   // our kernels: up to 4 rows (decode) as matrix-vector products that stream W at full bandwidth
                        (fewRows ? _tcGemv : _tcGemm).Value.Launch(stream,
                            fewRows ? new Dim3((uint)CeilDiv(lora, 64), (uint)heads) : new Dim3((uint)CeilDiv(lora, TcGemmTile), (uint)heads, (uint)CeilDiv(tc, TcGemmTile)),
                            new Dim3(Threads), 0, new KernelArgs()
                                .Ptr(qChunk).Long((long)heads * qk).Long(qk)
                                .Ptr(wkvb.Pointer).Long((long)kvWidth * lora).Int(1).Int(lora)
                                .Ptr(qa.Pointer).Long((long)heads * kw).Long(kw).Int(1).Int(tc).Int(lora).Int(shape.Nope));
                    long packElems = (long)tc * heads * (qacc is null ? kw - lora : kw);
                    _tcQpe.Value.Launch(stream, new Dim3((uint)CeilDiv(packElems, 256)), new Dim3(256), 0, new KernelArgs()
                        .Ptr(qChunk).Ptr(qacc?.Pointer ?? 0).Ptr(qa.Pointer).Long((long)tc * heads).Int(shape.Nope).Int(shape.Rope)
                        .Int(lora).Int(kw));
                }

                var qkGrid = new Dim3((uint)CeilDiv(heads, TcQkHeads), (uint)qkSplits, (uint)tc);
                if (warpgroup)
                    _warpgroup.Scores(stream, qa, latent, ropeKeys, idx, indexWidth, pos0, tc, heads, slotsPad, shape.SoftmaxScale, scores);
                else if (direct)
                    _tcQkDirect.Value.Launch(stream, qkGrid, new Dim3(Threads), QkDirectShared(shape), new KernelArgs()
                        .Ptr(qa.Pointer).Ptr(latent.Pointer).Ptr(ropeKeys.Pointer).Ptr(kc!.Pointer).Int(lora).Int(shape.Rope)
                        .Ptr(idx).Ptr(scores.Pointer)
                        .Int(indexWidth).Int(heads).Int(kw).Int(slotsPad).Int(qkSlots).Float(shape.SoftmaxScale));
                else
                {
                    // key rows (MtcKeys): the bf16 cache's latent [*, lora] and ropeKeys [*, rope], or kc [*, kw]
                    var (keyLat, keyRope, latStride, ropeStride, ropeEnd) = inPlace
                        ? (latent.Pointer, ropeKeys.Pointer, lora, shape.Rope, lora + shape.Rope)
                        : (kc!.Pointer, kc.At(lora), kw, kw, kw);
                    _tcQk.Value.Launch(stream, qkGrid, new Dim3(Threads), QkShared(shape), new KernelArgs()
                        .Ptr(qa.Pointer).Ptr(keyLat).Ptr(keyRope).Int(latStride).Int(ropeStride).Int(lora).Int(ropeEnd)
                        .Ptr(idx).Ptr(scores.Pointer)
                        .Int(indexWidth).Int(pos0).Int(gathered ? 1 : 0).Int(heads).Int(kw).Int(slotsPad).Int(qkSlots)
                        .Float(shape.SoftmaxScale));
                }
                // p = bf16(exp(s - max) / sum) with each row's max and sum (a pass of its own: inside PV the exp and
                // division sat on its critical path, 80 vs 53 + 22 µs at B = 32)
                using var prob = Scratch(DType.BF16, (long)tc * heads * slotsPad);
                _tcProb.Value.Launch(stream, new Dim3((uint)heads, (uint)tc), new Dim3(Threads), 0, new KernelArgs()
                    .Ptr(scores.Pointer).Ptr(prob.Pointer).Ptr(lse?.At((long)t0 * heads) ?? 0).Int(heads).Int(slotsPad));
                // the weighted latent sums; o_lat as bf16 bits for a bf16 W_UV (written by PV itself when there is one split)
                using var olatBits = w16 ? Scratch(DType.BF16, (long)tc * heads * lora) : null;
                if (warpgroup)
                    _warpgroup.WeightedSums(stream, latent, idx, indexWidth, pos0, tc, heads, slotsPad, prob, (pvSplits, pvSlots), opart,
                        pvSplits == 1 ? olatBits : null);
                else
                    _tcPv.Value.Launch(stream, new Dim3((uint)(2 * CeilDiv(heads, TcPvHeads)), (uint)pvSplits, (uint)tc), new Dim3(Threads),
                        PvShared(shape), new KernelArgs()
                            .Ptr(inPlace ? latent.Pointer : kc!.Pointer).Ptr(idx).Ptr(prob.Pointer).Ptr(opart.Pointer)
                            .Ptr(pvSplits == 1 ? olatBits?.Pointer ?? 0 : 0)
                            .Int(indexWidth).Int(pos0).Int(gathered ? 1 : 0).Int(heads).Int(inPlace ? lora : kw).Int(lora).Int(slotsPad).Int(pvSlots));

                // o_lat = bf16(Σ_split opart) (a single split's PV kernel rounds its sums itself), then
                // out = bf16(W_UV · o_lat): per head [tc × lora] · [lora × v]
                using var olat = pvSplits > 1 && !w16 ? Scratch(DType.F32, (long)tc * heads * lora) : null;
                if (pvSplits > 1)
                {
                    long olatElems = (long)tc * heads * lora;
                    _tcCombine.Value.Launch(stream, new Dim3((uint)CeilDiv(olatElems, 256)), new Dim3(256), 0, new KernelArgs()
                        .Ptr(opart.Pointer).Ptr(olat?.Pointer ?? 0).Ptr(olatBits?.Pointer ?? 0).Long((long)heads * lora).Int(pvSplits).Long(olatElems));
                }
                var oLatent = (olatBits ?? olat ?? opart).Pointer;
                var outChunk = output.At((long)t0 * heads * shape.V);
                if (gemm is not null)
                {
                    // column-major per head: out [v × tc] = W_UV[h] [v × lora] (row-major [v, lora], transposed) · o_lat [lora × tc]
                    gemm.MultiplyBatched(true, shape.V, tc, lora, wkvb.At((long)shape.Nope * lora), lora, (long)kvWidth * lora,
                        oLatent, heads * lora, lora, outChunk, heads * shape.V, shape.V, heads, w16, false, $"{op}: W_UV o_lat");
                    _roundRows.Value.Launch(stream, new Dim3((uint)(tc * heads), (uint)CeilDiv(shape.V, 256)), new Dim3(256), 0,
                        new KernelArgs().Ptr(outChunk).Int(tc * heads).Int(shape.V).Int(shape.V));
                }
                else
                    (fewRows ? _tcGemv : _tcGemm).Value.Launch(stream,
                        fewRows ? new Dim3((uint)CeilDiv(shape.V, 8), (uint)heads) : new Dim3((uint)CeilDiv(shape.V, TcGemmTile), (uint)heads, (uint)CeilDiv(tc, TcGemmTile)),
                        new Dim3(Threads), 0, new KernelArgs()
                            .Ptr(oLatent).Long((long)heads * lora).Long(lora)
                            .Ptr(wkvb.At((long)shape.Nope * lora)).Long((long)kvWidth * lora).Int(0).Int(lora)
                            .Ptr(outChunk).Long((long)heads * shape.V).Long(shape.V).Int(0)
                            .Int(tc).Int(shape.V).Int(lora));
            }
        }
        finally
        {
            allKeys?.Dispose();
        }
    }

    /// <summary>
    /// Splits of <paramref name="tiles"/> key tiles over <paramref name="blocks"/> blocks each: as many as fill the
    /// <paramref name="resident"/> blocks the GPU holds at once without starting a partial wave (floor), at least
    /// <paramref name="minTiles"/> tiles each: (count, slots each). A second wave would cost the score kernel another
    /// load of its 128-head query fragments and a tail; more PV splits cost more partial sums to combine.
    /// </summary>
    internal static (int Count, int Slots) WaveSplits(int tiles, long resident, long blocks, int minTiles)
    {
        var want = (int)Math.Clamp(resident / Math.Max(blocks, 1), 1, Math.Max(tiles / minTiles, 1));
        var per = CeilDiv(Math.Max(tiles, 1), want);
        return ((int)CeilDiv(Math.Max(tiles, 1), per), (int)per * TcTile);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static long RoundUp(long a, long b) => CeilDiv(a, b) * b;

    private static void CheckShape(string op, MlaShape shape)
    {
        if (shape.Heads < 1 || shape.Nope < 1 || shape.Rope < 0 || shape.V < 1 || shape.KvLora < 1)
            throw new ArgumentException($"{op}: invalid shape {shape}", nameof(shape));
    }

    /// <summary>The optional log-sum-exp output: F32, one value per (token, head).</summary>
    private static void CheckLse(string op, CudaBuffer? lse, long rows)
    {
        if (lse is not null) DsaLaunch.Check(op, nameof(lse), lse, DType.F32, rows);
    }

    private static void CheckIndices(string op, CudaBuffer? indices, int indexWidth, int tokens)
    {
        if (indices is null) return;
        DsaLaunch.NotNegative(op, nameof(indexWidth), indexWidth);
        DsaLaunch.Check(op, nameof(indices), indices, DType.I32, (long)tokens * indexWidth);
    }
}
