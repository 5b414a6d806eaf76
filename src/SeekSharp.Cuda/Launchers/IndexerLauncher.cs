using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// The lightning indexer's fp8_index scores (IComputeDevice.IndexScores / IndexScoresPaged) for 64 heads × 128 dims:
/// Kernels/indexer_tc.cu's f16 warpgroup kernels on sm_90a, its FP8 mma.sync kernels on other sm_89+ targets; else
/// Kernels/indexer.cu (fp32 CUDA cores, any shape).
/// </summary>
internal sealed class IndexerLauncher(KernelLibrary library)
{
    // indexer.cu
    private const int KeysPerTile = 64;    // IDX_KEYS_PER_BLOCK (the shared key tile)
    private const int KeysPerBlock = 256;  // × IDX_TILES_PER_BLOCK: q is decoded once per 256 keys
    private const int Threads = 256;       // IDX_THREADS
    private const int RowPad = 4;          // IDX_PAD floats after each shared row
    private const int MaxHeads = 128;      // 16 head lanes × IDX_MAX_HEADS_PER_THREAD
    private const int MaxDim = 256;

    // indexer_tc.cu
    private const int TcHeads = 64, TcDim = 128;        // ITC_HEADS, ITC_DIM
    private const int TcTile = 128;                     // ITC_TILE keys per pipeline stage
    private const int TcShared = 4 * TcTile * (144 + 4); // ITC_SHARED: 4 stages of 144-byte rows and their scales
    private const int TcGroup = 8;                      // rows per block of indexer_scores_tc8
    private const int TcMinChunk = 256, TcMaxChunk = 8192;

    private readonly Lazy<CudaFunction> _scores = new(() => DsaLaunch.Load(library, "indexer.cu", "indexer_scores"));
    private readonly Lazy<CudaFunction?> _tc1 = new(() => LoadTc(library, "indexer_scores_tc1"));
    private readonly Lazy<CudaFunction?> _tc8 = new(() => LoadTc(library, "indexer_scores_tc8"));
    private readonly Lazy<CudaFunction?> _wh1 = new(() => LoadWarpgroup(library, "indexer_scores_wh1"));
    private readonly Lazy<CudaFunction?> _wh8 = new(() => LoadWarpgroup(library, "indexer_scores_wh8"));

    /// <summary>
    /// IWH_SHARED(QG) of indexer_scores_whQG: 1 KiB alignment slack, QG queries as f16 (16 KiB each), a ring per
    /// warpgroup of 64-key tiles of FP8 codes (8 KiB), their scales and an mbarrier (5 deep for one row, 4 for eight),
    /// QG × 64 weights.
    /// </summary>
    internal static int WarpgroupShared(int group) => 1024 + group * 16384 + 2 * (group == 1 ? 5 : 4) * (8192 + 256 + 8) + group * 256;

    /// <summary>Whether the FP8 tensor-core kernel serves this shape here (sm_89+ and the model's 64 × 128).</summary>
    public bool UsesTensorCores(int heads, int dim) =>
        heads == TcHeads && dim == TcDim && library.Context.Architecture.Number >= 89 && _tc1.Value is not null;

    /// <summary>
    /// scores[i, s] = keyScales[s]·Σ_h max(0, q8[i,h]·keys[s])·weights[i,h] for s ≤ startPos+i, -inf above;
    /// q8 U8 [tokens, heads, dim], weights F32 [tokens, heads], keys U8 [≥ end, dim], keyScales F32 [≥ end],
    /// scores F32 [tokens, end], end = startPos + tokens.
    /// </summary>
    public void IndexScores(CudaStream stream, CudaBuffer q8, CudaBuffer weights, CudaBuffer keys, CudaBuffer keyScales,
        int tokens, int startPos, int heads, int dim, CudaBuffer scores)
    {
        const string op = "index_scores";
        DsaLaunch.NotNegative(op, nameof(tokens), tokens);
        DsaLaunch.NotNegative(op, nameof(startPos), startPos);
        CheckHeadsAndDim(op, heads, dim);
        if (tokens == 0) return;
        long end = (long)startPos + tokens;
        if (end > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(startPos), $"{op}: startPos + tokens = {end} exceeds int range");
        CheckRows(op, q8, weights, scores, tokens, heads, dim, end);
        DsaLaunch.Codes(op, nameof(keys), keys, end * dim);
        DsaLaunch.Check(op, nameof(keyScales), keyScales, DType.F32, end);
        // one sequence at consecutive positions: every group of rows shares its keys
        Launch(stream, q8, weights, keys, keyScales, null, null, null, 1, 1, startPos, tokens, (int)end, heads, dim, scores,
            groupsOfOneSequence: true, WholeGroupsInside(keys.Length / dim, keyScales.Length, end));
    }

    /// <summary>
    /// The paged form: row i is position rows.RowPositions[i] of sequence rows.RowSequences[i]; keyPool U8 [poolRows, dim],
    /// scalePool F32 [poolRows], scores F32 [Rows, MaxEnd] (-inf past each row's position).
    /// </summary>
    public void IndexScoresPaged(CudaStream stream, CudaBuffer q8, CudaBuffer weights, CudaBuffer keyPool, CudaBuffer scalePool,
        PagedRows rows, CudaBuffer rowSequences, CudaBuffer rowPositions, CudaBuffer blockTable, int heads, int dim, CudaBuffer scores)
    {
        const string op = "index_scores_paged";
        CheckHeadsAndDim(op, heads, dim);
        CheckTables(op, rows, rowSequences, rowPositions, blockTable);
        CheckRows(op, q8, weights, scores, rows.Rows, heads, dim, rows.MaxEnd);
        var poolRows = rows.PoolRowsNeeded();
        DsaLaunch.Codes(op, nameof(keyPool), keyPool, poolRows * dim);
        DsaLaunch.Check(op, nameof(scalePool), scalePool, DType.F32, poolRows);
        Launch(stream, q8, weights, keyPool, scalePool, rowSequences, rowPositions, blockTable, rows.TableWidth, rows.BlockSize,
            0, rows.Rows, rows.MaxEnd, heads, dim, scores, GroupsOfOneSequence(rows.HostRowSequences, TcGroup),
            WholeGroupsInside(keyPool.Length / dim, scalePool.Length, poolRows));
    }

    /// <summary>The device tables of <paramref name="rows"/> are I32 and as long as the host's.</summary>
    public static void CheckTables(string op, PagedRows rows, CudaBuffer rowSequences, CudaBuffer rowPositions, CudaBuffer blockTable)
    {
        ArgumentNullException.ThrowIfNull(rows);
        DsaLaunch.Check(op, "rows.RowSequences", rowSequences, DType.I32, rows.Rows);
        DsaLaunch.Check(op, "rows.RowPositions", rowPositions, DType.I32, rows.Rows);
        DsaLaunch.Check(op, "rows.BlockTable", blockTable, DType.I32, (long)rows.Sequences * rows.TableWidth);
    }

    private void Launch(CudaStream stream, CudaBuffer q8, CudaBuffer weights, CudaBuffer keys, CudaBuffer scales,
        CudaBuffer? rowSequences, CudaBuffer? rowPositions, CudaBuffer? table, int tableWidth, int blockSize, int startPos,
        int rows, int maxEnd, int heads, int dim, CudaBuffer scores, bool groupsOfOneSequence, bool wholeGroupsInside)
    {
        var seq = rowSequences?.Pointer ?? 0;
        var pos = rowPositions?.Pointer ?? 0;
        var tab = table?.Pointer ?? 0;
        if (UsesTensorCores(heads, dim))
        {
            // prefill-like calls (runs of one sequence) share each key tile among 8 rows; decode rows get one block each
            var group = groupsOfOneSequence && rows >= 2 * TcGroup ? TcGroup : 1;
            // Hopper: the f16 warpgroup forms of tc1 / tc8, same arguments, where their whole-group reads stay in bounds
            var warpgroup = !wholeGroupsInside ? null : group == TcGroup ? _wh8.Value : _wh1.Value;
            var function = warpgroup ?? (group == TcGroup ? _tc8.Value : _tc1.Value) ?? throw new InvalidOperationException("index_scores: tensor-core kernel not loaded");
            var groups = (rows + group - 1) / group;
            DsaLaunch.GridY(op: "index_scores", nameof(rows), groups);
            var sms = library.Context.MultiprocessorCount;
            var chunk = warpgroup is not null ? WarpgroupChunk(maxEnd, groups, group, sms) : TcChunk(maxEnd, groups, sms);
            var shared = warpgroup is not null ? WarpgroupShared(group) : TcShared + group * TcHeads * sizeof(float);
            var grid = new Dim3(Dim3.Blocks(maxEnd, chunk), (uint)groups);
            function.Launch(stream, grid, new Dim3(Threads), shared, new KernelArgs()
                .Ptr(q8.Pointer).Ptr(weights.Pointer).Ptr(keys.Pointer).Ptr(scales.Pointer).Ptr(seq).Ptr(pos).Ptr(tab)
                .Int(tableWidth).Int(blockSize).Int(startPos).Ptr(scores.Pointer).Int(rows).Int(maxEnd).Int(chunk));
            return;
        }
        DsaLaunch.GridY("index_scores", nameof(rows), rows);
        // shared: q [heads][dim+4] and the key tile [64][dim+4], fp32
        var sharedFp32 = (heads + KeysPerTile) * (dim + RowPad) * sizeof(float);
        DsaLaunch.SharedFits(library, "index_scores", sharedFp32);
        _scores.Value.Launch(stream, new Dim3(Dim3.Blocks(maxEnd, KeysPerBlock), (uint)rows), new Dim3(Threads), sharedFp32, new KernelArgs()
            .Ptr(q8.Pointer).Ptr(weights.Pointer).Ptr(keys.Pointer).Ptr(scales.Pointer).Ptr(seq).Ptr(pos).Ptr(tab)
            .Int(tableWidth).Int(blockSize).Int(startPos).Ptr(scores.Pointer).Int(heads).Int(dim).Int(maxEnd));
    }

    /// <summary>
    /// Keys per block of the tensor-core kernel: a multiple of the 128-key tile, 256..8192, small enough that the grid
    /// has about 8 blocks per SM (a decode of one sequence still spreads over every SM), large enough that the query's
    /// fragments (8 KiB) are loaded once per many key tiles; one tile per block when 256 would leave SMs idle (a short
    /// decode: 4K keys of one row were 16 blocks). Measured on the H200 (BENCHMARKS.md): a 128-key floor everywhere made a
    /// 128K-key row slower (1024 one-tile blocks).
    /// </summary>
    internal static int TcChunk(int maxEnd, int groups, int sms)
    {
        var target = 8L * Math.Max(sms, 1);
        var chunk = (long)maxEnd * groups / target;
        chunk = Math.Clamp((chunk + TcTile - 1) / TcTile * TcTile, TcMinChunk, TcMaxChunk);
        if ((maxEnd + chunk - 1) / chunk * groups < sms) chunk = TcTile;
        return (int)chunk;
    }

    /// <summary>
    /// Keys per block of indexer_scores_wh1 / wh8: a multiple of 128 (128..8192) giving about one wave of resident
    /// blocks (two per SM for one row a block, one for eight), so short contexts do not pay a block's start (the query's
    /// f16 tile, the first tile's latency) many times over. Measured on the H200 against <see cref="TcChunk"/>
    /// (kernel lab, BENCHMARKS.md round 8): 128 rows × 4K 0.044 → 0.031 ms, 32 × 32K 0.066 → 0.052, 128 × 128K the same.
    /// </summary>
    internal static int WarpgroupChunk(int maxEnd, int groups, int group, int sms)
    {
        long resident = (group == 1 ? 2L : 1L) * Math.Max(sms, 1);
        var chunk = ((long)maxEnd * groups + resident - 1) / resident;
        return (int)Math.Clamp((chunk + TcTile - 1) / TcTile * TcTile, TcTile, TcMaxChunk);
    }

    /// <summary>
    /// Whether indexer_scores_wh1 / wh8 may run over these buffers: their bulk loads copy whole aligned groups of 32 pool
    /// rows, so the last group holding a needed row is read to its end (rows past the needed ones are never stored).
    /// Engine pools are whole 64-row blocks and pass; a buffer cut at exactly the needed rows goes to tc1 / tc8 instead.
    /// </summary>
    internal static bool WholeGroupsInside(long keyRows, long scaleRows, long rowsNeeded)
    {
        var groups = (rowsNeeded + 31) / 32 * 32;
        return keyRows >= groups && scaleRows >= groups;
    }

    /// <summary>Whether every aligned group of <paramref name="group"/> rows belongs to one sequence.</summary>
    internal static bool GroupsOfOneSequence(ReadOnlySpan<int> rowSequences, int group)
    {
        for (var g = 0; g < rowSequences.Length; g += group)
        {
            var last = Math.Min(g + group, rowSequences.Length);
            for (var i = g + 1; i < last; i++)
                if (rowSequences[i] != rowSequences[g]) return false;
        }
        return true;
    }

    private static void CheckHeadsAndDim(string op, int heads, int dim)
    {
        if (heads < 1 || heads > MaxHeads) throw new ArgumentOutOfRangeException(nameof(heads), heads, $"{op}: heads must be 1..{MaxHeads}");
        if (dim < 4 || dim > MaxDim || dim % 4 != 0)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"{op}: dim must be a multiple of 4 in 4..{MaxDim}");
    }

    private static void CheckRows(string op, CudaBuffer q8, CudaBuffer weights, CudaBuffer scores, int rows, int heads, int dim, long maxEnd)
    {
        DsaLaunch.Codes(op, nameof(q8), q8, (long)rows * heads * dim);
        DsaLaunch.Check(op, nameof(weights), weights, DType.F32, (long)rows * heads);
        DsaLaunch.Check(op, nameof(scores), scores, DType.F32, rows * maxEnd);
    }

    /// <summary>
    /// indexer_scores_wh1 / wh8 where the module is built for sm_90a (Hopper with NVRTC 12+): FP8 codes widened to f16 for
    /// wgmma, whose f16 sums are as exact as mma.sync's FP8 ones (Hopper's FP8 wgmma sums are not: BENCHMARKS.md).
    /// </summary>
    private static CudaFunction? LoadWarpgroup(KernelLibrary library, string name)
    {
        if (!library.BuildsArchSpecific) return null;
        return LoadTc(library, name, "indexer_scores_tc1 / tc8");
    }

    // The tensor-core module needs NVRTC 12.4+ for the e4m3 mma; an older NVRTC leaves the fp32 kernel in charge.
    private static CudaFunction? LoadTc(KernelLibrary library, string name, string fallback = "the fp32 kernel")
    {
        if (library.Context.Architecture.Number < 89) return null;
        return library.TryLoadOptional($"indexer: {name}", fallback,
            () => DsaLaunch.Load(library, "indexer_tc.cu", name), out var function) ? function : null;
    }
}

/// <summary>Argument checks and function loading shared by the DSA launchers (indexer, top-k, MLA).</summary>
internal static class DsaLaunch
{
    /// <summary>Loads a kernel and lets it use the device's whole opt-in shared memory per block.</summary>
    public static CudaFunction Load(KernelLibrary library, string file, string name)
    {
        var function = library.Module(file).Function(name);
        // the opt-in limit covers static + dynamic shared memory
        var dynamicLimit = library.Context.MaxSharedMemoryPerBlockOptIn - function.StaticSharedBytes();
        if (dynamicLimit > 48 * 1024) function.SetMaxDynamicSharedBytes(dynamicLimit);
        return function;
    }

    public static void Check(string op, string name, CudaBuffer buffer, DType dtype, long minLength)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (buffer.DType != dtype) throw new ArgumentException($"{op}: {name} must be {dtype}, got {buffer.DType}", name);
        Length(op, name, buffer, minLength);
    }

    /// <summary>e4m3 codes: U8 (the contract's dtype) or F8E4M3, one byte each.</summary>
    public static void Codes(string op, string name, CudaBuffer buffer, long minLength)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (buffer.DType is not (DType.U8 or DType.F8E4M3))
            throw new ArgumentException($"{op}: {name} must be U8 (e4m3 codes), got {buffer.DType}", name);
        Length(op, name, buffer, minLength);
    }

    public static void Length(string op, string name, CudaBuffer buffer, long minLength)
    {
        if (buffer.Length < minLength)
            throw new ArgumentException($"{op}: {name} has {buffer.Length} elements, needs at least {minLength}", name);
    }

    public static void NotNegative(string op, string name, int value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} must not be negative");
    }

    /// <summary>Values that become gridDim.y (at most 65535).</summary>
    public static void GridY(string op, string name, int value)
    {
        if (value > 65535) throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} is at most 65535 per launch");
    }

    public static void SharedFits(KernelLibrary library, string op, int bytes)
    {
        var limit = Math.Max(library.Context.MaxSharedMemoryPerBlockOptIn, 48 * 1024);
        if (bytes > limit)
            throw new ArgumentException($"{op}: needs {bytes} bytes of shared memory per block, the device allows {limit}");
    }
}
