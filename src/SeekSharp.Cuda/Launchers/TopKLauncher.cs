using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>Kernels/topk.cu: exact per-row top-k of the indexer scores (IComputeDevice.TopK / TopKPaged).</summary>
internal sealed class TopKLauncher(KernelLibrary library)
{
    private const int Threads = 1024;   // topk.cu TOPK_THREADS

    private readonly Lazy<CudaFunction> _rows = new(() => library.Module("topk.cu").Function("topk_rows"));

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

        // one block per row
        _rows.Value.Launch(stream, new Dim3((uint)tokens), new Dim3(Threads), 0, new KernelArgs()
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
        _rows.Value.Launch(stream, new Dim3((uint)rows.Rows), new Dim3(Threads), 0, new KernelArgs()
            .Ptr(scores.Pointer).Ptr(indices.Pointer).Ptr(rowPositions.Pointer).Int(0).Int(rows.MaxEnd).Int(k));
    }
}
