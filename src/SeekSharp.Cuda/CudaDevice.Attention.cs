using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Launchers;

namespace SeekSharp.Cuda;

// DeepSeek sparse attention: the lightning indexer's scores and top-k, and MLA (launchers in Launchers/, which check
// shapes and dtypes; here only the buffers' device is checked).
public sealed partial class CudaDevice
{
    private IndexerLauncher? _indexer;
    private TopKLauncher? _topk;
    private MlaLauncher? _mla;

    private IndexerLauncher Indexer => _indexer ??= new IndexerLauncher(_kernels);
    private TopKLauncher TopKRows => _topk ??= new TopKLauncher(_kernels);
    private MlaLauncher Mla => _mla ??= new MlaLauncher(_kernels, Scratch, _gemm);   // temporaries from the device allocator

    public void IndexScores(DeviceBuffer q8, DeviceBuffer weights, DeviceBuffer keys, DeviceBuffer keyScales,
        int tokens, int startPos, int heads, int dim, DeviceBuffer scores)
    {
        const string op = "index_scores";
        Indexer.IndexScores(_stream, Ours(q8, op, nameof(q8)), Ours(weights, op, nameof(weights)), Ours(keys, op, nameof(keys)),
            Ours(keyScales, op, nameof(keyScales)), tokens, startPos, heads, dim, Ours(scores, op, nameof(scores)));
    }

    public void TopK(DeviceBuffer scores, int tokens, int startPos, int k, DeviceBuffer indices)
    {
        const string op = "topk";
        TopKRows.TopK(_stream, Ours(scores, op, nameof(scores)), tokens, startPos, k, Ours(indices, op, nameof(indices)));
    }

    public void IndexScoresPaged(DeviceBuffer q8, DeviceBuffer weights, DeviceBuffer keyPool, DeviceBuffer scalePool, PagedRows rows,
        int heads, int dim, DeviceBuffer scores)
    {
        const string op = "index_scores_paged";
        ArgumentNullException.ThrowIfNull(rows);
        Indexer.IndexScoresPaged(_stream, Ours(q8, op, nameof(q8)), Ours(weights, op, nameof(weights)), Ours(keyPool, op, nameof(keyPool)),
            Ours(scalePool, op, nameof(scalePool)), rows, Ours(rows.RowSequences, op, "rows.RowSequences"),
            Ours(rows.RowPositions, op, "rows.RowPositions"), Ours(rows.BlockTable, op, "rows.BlockTable"), heads, dim,
            Ours(scores, op, nameof(scores)));
    }

    public void TopKPaged(DeviceBuffer scores, PagedRows rows, int k, DeviceBuffer indices)
    {
        const string op = "topk_paged";
        ArgumentNullException.ThrowIfNull(rows);
        TopKRows.TopKPaged(_stream, Ours(scores, op, nameof(scores)), rows, Ours(rows.RowPositions, op, "rows.RowPositions"), k,
            Ours(indices, op, nameof(indices)));
    }

    public void MlaPrefill(DeviceBuffer q, DeviceBuffer kvb, DeviceBuffer ropeKeys, DeviceBuffer? indices, int indexWidth,
        int tokens, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null)
    {
        const string op = "mla_prefill";
        Mla.MlaPrefill(_stream, Ours(q, op, nameof(q)), Ours(kvb, op, nameof(kvb)), Ours(ropeKeys, op, nameof(ropeKeys)),
            indices is null ? null : Ours(indices, op, nameof(indices)), indexWidth, tokens, shape, Ours(output, op, nameof(output)),
            lse is null ? null : Ours(lse, op, nameof(lse)));
    }

    public void MlaAbsorbed(DeviceBuffer q, DeviceBuffer wkvb, DeviceBuffer latent, DeviceBuffer ropeKeys, DeviceBuffer? indices,
        int indexWidth, int tokens, int startPos, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null)
    {
        const string op = "mla_absorbed";
        Mla.MlaAbsorbed(_stream, Ours(q, op, nameof(q)), Ours(wkvb, op, nameof(wkvb)), Ours(latent, op, nameof(latent)),
            Ours(ropeKeys, op, nameof(ropeKeys)), indices is null ? null : Ours(indices, op, nameof(indices)), indexWidth, tokens,
            startPos, shape, Ours(output, op, nameof(output)), lse is null ? null : Ours(lse, op, nameof(lse)));
    }

    /// <summary>The buffer as ours (any dtype and length: the launcher checks those).</summary>
    private static CudaBuffer Ours(DeviceBuffer buffer, string op, string argument) =>
        LaunchChecks.Buffer(buffer, buffer?.DType ?? default, 0, op, argument);
}
