using SeekSharp.Core;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>Kernels/topk.cu: exact per-row top-k of the indexer scores (IComputeDevice.TopK).</summary>
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
            .Ptr(scores.Pointer).Ptr(indices.Pointer).Int(startPos).Int((int)end).Int(k));
    }
}
