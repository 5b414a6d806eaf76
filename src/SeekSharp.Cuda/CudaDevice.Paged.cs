using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Launchers;

namespace SeekSharp.Cuda;

// The paged cache ops that are not the indexer's: row writes into pool slots and absorbed MLA over pool rows.
public sealed partial class CudaDevice
{
    private PagedKvLauncher? _paged;

    private PagedKvLauncher Paged => _paged ??= new PagedKvLauncher(_kernels, _stream);

    public void WriteRowsPaged(MatrixView source, DeviceBuffer pool, PagedRows rows) => Paged.WriteRows(source, pool, rows);

    public void WriteLatentFp8Paged(MatrixView source, DeviceBuffer pool, PagedRows rows) => Paged.WriteLatentFp8(source, pool, rows);

    /// <summary>Positions become pool rows in one small kernel; then the absorbed kernels gather those rows.</summary>
    public void MlaAbsorbedPaged(DeviceBuffer q, DeviceBuffer wkvb, DeviceBuffer latentPool, DeviceBuffer ropePool, DeviceBuffer? indices,
        int indexWidth, PagedRows rows, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null)
    {
        const string op = "mla_absorbed_paged";
        var width = indices is null ? rows.MaxEnd : indexWidth;
        using var poolRows = Scratch(DType.I32, (long)rows.Rows * width);
        Paged.PoolRows(indices, width, rows, poolRows);
        Mla.MlaAbsorbedRows(_stream, Ours(q, op, nameof(q)), Ours(wkvb, op, nameof(wkvb)), Ours(latentPool, op, nameof(latentPool)),
            Ours(ropePool, op, nameof(ropePool)), poolRows, width, rows.Rows, rows.PoolRowsNeeded(), shape, Ours(output, op, nameof(output)),
            lse is null ? null : Ours(lse, op, nameof(lse)));
    }
}
