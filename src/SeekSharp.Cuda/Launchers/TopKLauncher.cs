using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>
/// Kernels/topk.cu: exact per-row top-k of the indexer scores (IComputeDevice.TopK / TopKPaged). Rows up to 192K
/// positions go to a register-resident variant topk_c{C}_i{ITEMS} (a cluster of C blocks per row, each holding
/// 1024 * ITEMS positions); longer rows, and many rows that would need clusters, to topk_rows (one block per row).
/// </summary>
internal sealed class TopKLauncher(KernelLibrary library)
{
    private const int Threads = 1024;   // topk.cu TOPK_THREADS

    /// <summary>
    /// Cluster variants by capacity (C * 1024 * ITEMS). H200 lab (benchmarks/kernel-lab/topk_lab.py, k = 2048, graph
    /// replays): the smallest variant covering the stride is the fastest of the family at every measured shape; with
    /// C &gt; 1 it beats topk_rows up to 128 rows x 128K (c8_i16 0.196 vs 0.220 ms) and loses at 4096 rows x 32K (c4_i8
    /// 1.22 vs 1.13 ms) and at 128 rows on c8_i24 (0.263 vs 0.220 ms), hence the rows x capacity bound below.
    /// </summary>
    private static readonly (int Cluster, int Items)[] Variants = [(1, 4), (1, 8), (2, 8), (4, 8), (8, 8), (8, 16), (8, 24)];

    private const long ClusterWork = 1L << 24;   // rows x capacity up to which a C > 1 variant is used

    private readonly Lazy<CudaFunction> _rows = new(() => library.Module("topk.cu").Function("topk_rows"));
    private readonly Lazy<CudaFunction>[] _variants = Variants
        .Select(v => new Lazy<CudaFunction>(() => library.Module("topk.cu").Function($"topk_c{v.Cluster}_i{v.Items}")))
        .ToArray();

    private readonly bool _clusters = library.Context.Architecture.Major >= 9;   // C > 1 variants exist from sm_90

    /// <summary>The variant index for rows of this stride, or -1 for topk_rows.</summary>
    internal static int Pick(int rows, int stride, bool clusters = true)
    {
        if (rows > 65535) return -1;   // the variants put rows on grid.y
        for (var i = 0; i < Variants.Length; i++)
        {
            var (cluster, items) = Variants[i];
            long capacity = (long)cluster * Threads * items;
            if (capacity < stride) continue;
            return cluster == 1 || (clusters && (long)rows * capacity <= ClusterWork) ? i : -1;
        }
        return -1;
    }

    private void Launch(CudaStream stream, int rows, int stride, KernelArgs args)
    {
        var v = Pick(rows, stride, _clusters);
        if (v < 0)
            _rows.Value.Launch(stream, new Dim3((uint)rows), new Dim3(Threads), 0, args);   // one block per row
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
