using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// Kernels/topk.cu: exact per-row top-k of the indexer scores (IComputeDevice.TopK / TopKPaged). Rows up to 8K positions
/// go to a one-block register-resident variant topk_c1_i{ITEMS}; longer rows to a cluster variant topk_c{C}_i{ITEMS}
/// (C blocks per row, each holding 1024 * ITEMS positions, up to 192K) while the rows are too few to fill the GPU with
/// topk_rows (one block per row, streaming the row from memory), to topk_rows otherwise.
/// </summary>
internal sealed class TopKLauncher(KernelLibrary library)
{
    private const int Threads = 1024;   // topk.cu TOPK_THREADS

    /// <summary>
    /// Variants by capacity (C * 1024 * ITEMS). H200 lab (benchmarks/kernel-lab/topk_lab.py, k = 2048, graph replays,
    /// BENCHMARKS.md round 12): the smallest variant covering the stride is the fastest of the family at every measured
    /// shape; C = 1 beats topk_rows at every measured row count (4096 rows x 8K: 0.14 against 0.24 ms); C &gt; 1 beats it
    /// at 32 rows (32 x 128K: 0.056 against 0.092 ms) and loses at 128 (128 x 128K: 0.19 against 0.10), where topk_rows
    /// has a block on nearly every SM: hence C &gt; 1 only while 2 x rows &lt;= SMs.
    /// </summary>
    private static readonly (int Cluster, int Items)[] Variants = [(1, 4), (1, 8), (2, 8), (4, 8), (8, 8), (8, 16), (8, 24)];

    /// <summary>
    /// topk_rows' room for candidates (8 bytes each): with it the finer passes and the output run on the keys at or
    /// above the first pass's threshold bin instead of reading the row again (H200 lab, BENCHMARKS.md round 12); the
    /// kernel reads the size it was given and streams the row where the list does not fit (or none was given).
    /// </summary>
    internal const int RowsCandidateBytes = 64 * 1024;

    private readonly Lazy<(CudaFunction Function, int Shared)> _rows = new(() =>
    {
        var f = library.Module("topk.cu").Function("topk_rows");
        var shared = RowsShared(library.Context.MaxSharedMemoryPerBlockOptIn, f.StaticSharedBytes());
        if (shared > 0) f.SetMaxDynamicSharedBytes(shared);
        return (f, shared);
    });
    private readonly Lazy<CudaFunction>[] _variants = Variants
        .Select(v => new Lazy<CudaFunction>(() => library.Module("topk.cu").Function($"topk_c{v.Cluster}_i{v.Items}")))
        .ToArray();

    private readonly bool _clusters = library.Context.Architecture.Major >= 9;   // C > 1 variants exist from sm_90

    /// <summary>
    /// The variant index for rows of this stride on a GPU of <paramref name="sms"/> multiprocessors, or -1 for topk_rows.
    /// </summary>
    internal static int Pick(int rows, int stride, int sms, bool clusters = true)
    {
        if (rows > 65535) return -1;   // the variants put rows on grid.y
        for (var i = 0; i < Variants.Length; i++)
        {
            var (cluster, items) = Variants[i];
            long capacity = (long)cluster * Threads * items;
            if (capacity < stride) continue;
            return cluster == 1 || (clusters && 2L * rows <= sms) ? i : -1;
        }
        return -1;
    }

    /// <summary>
    /// The dynamic shared memory given to topk_rows: <see cref="RowsCandidateBytes"/>, less where the GPU's per-block
    /// limit leaves less beside the kernel's static shared memory (whole 8-byte candidates; 0 streams every pass).
    /// </summary>
    internal static int RowsShared(int perBlockOptIn, int staticShared) =>
        Math.Max(0, Math.Min(RowsCandidateBytes, perBlockOptIn - staticShared)) / 8 * 8;

    private void Launch(CudaStream stream, int rows, int stride, KernelArgs args)
    {
        var v = Pick(rows, stride, library.Context.MultiprocessorCount, _clusters);
        if (v < 0)
        {
            var (rowsKernel, shared) = _rows.Value;
            rowsKernel.Launch(stream, new Dim3((uint)rows), new Dim3(Threads), shared, args);   // one block per row
        }
        else
            _variants[v].Value.Launch(stream, new Dim3((uint)Variants[v].Cluster, (uint)rows), new Dim3(Threads), 0, args);
    }

    /// <summary>
    /// Per row i of scores F32 [tokens, end] (end = startPos + tokens): the positions of the min(k, startPos+i+1) largest
    /// visible scores (ties to the lower position), ascending, then -1 up to k, into indices I32 [tokens, k].
    /// </summary>
    public void TopK(CudaStream stream, CudaBuffer scores, int tokens, int startPos, int k, CudaBuffer indices)
    {
        const string op = "topk";
        DsaLaunch.NotNegative(op, nameof(tokens), tokens);
        DsaLaunch.NotNegative(op, nameof(startPos), startPos);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, $"{op}: k must be at least 1");
        if (tokens == 0) return;
        long end = (long)startPos + tokens;
        if (end > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(startPos), $"{op}: startPos + tokens = {end} exceeds int range");
        DsaLaunch.Check(op, nameof(scores), scores, DType.F32, tokens * end);
        DsaLaunch.Check(op, nameof(indices), indices, DType.I32, (long)tokens * k);

        Launch(stream, tokens, (int)end, new KernelArgs()
            .Ptr(scores.Pointer).Ptr(indices.Pointer).Ptr(0).Int(startPos).Int((int)end).Int(k));
    }

    /// <summary>
    /// Paged rows: row i of scores F32 [Rows, MaxEnd] has rows.RowPositions[i] + 1 visible candidates (read on the
    /// device from <paramref name="rowPositions"/>); indices I32 [Rows, k] are positions in the row's sequence.
    /// </summary>
    public void TopKPaged(CudaStream stream, CudaBuffer scores, PagedRows rows, CudaBuffer rowPositions, int k, CudaBuffer indices)
    {
        const string op = "topk_paged";
        ArgumentNullException.ThrowIfNull(rows);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, $"{op}: k must be at least 1");
        DsaLaunch.Check(op, "rows.RowPositions", rowPositions, DType.I32, rows.Rows);
        DsaLaunch.Check(op, nameof(scores), scores, DType.F32, (long)rows.Rows * rows.MaxEnd);
        DsaLaunch.Check(op, nameof(indices), indices, DType.I32, (long)rows.Rows * k);
        Launch(stream, rows.Rows, rows.MaxEnd, new KernelArgs()
            .Ptr(scores.Pointer).Ptr(indices.Pointer).Ptr(rowPositions.Pointer).Int(0).Int(rows.MaxEnd).Int(k));
    }
}
