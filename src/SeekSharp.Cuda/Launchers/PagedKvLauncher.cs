using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Launchers;

/// <summary>paged_kv.cu: new rows into their pool slots, and sequence positions to pool rows.</summary>
internal sealed class PagedKvLauncher(KernelLibrary kernels, CudaStream stream) : KernelLauncher(kernels, stream, "paged_kv.cu")
{
    /// <summary>
    /// pool[rows.PoolRow(seq_i, pos_i), :] = source row i; pool dense [poolRows, source.Cols], the source's dtype, or BF16
    /// for an F32 source (rounded to nearest even: exact for the bf16 values a latent cache holds).
    /// </summary>
    public void WriteRows(MatrixView source, DeviceBuffer pool, PagedRows rows)
    {
        const string op = "write_rows_paged";
        var src = LaunchChecks.View(source, source.Buffer?.DType ?? default, op, nameof(source));
        LaunchChecks.That(source.Rows == rows.Rows, op, $"source has {source.Rows} rows, the paged rows {rows.Rows}");
        if (source.Cols == 0) return;
        if (src.DType == DType.F32 && pool?.DType == DType.BF16)
        {
            var packed = LaunchChecks.Buffer(pool, DType.BF16, rows.PoolRowsNeeded() * source.Cols, op, nameof(pool));
            Launch("paged_write_rows_bf16", new Dim3((uint)rows.Rows), new Dim3(128), new KernelArgs()
                .Ptr(src.At(source.Offset)).Long(source.Stride).Ptr(packed.Pointer).Int(source.Cols)
                .Ptr(Table(rows.RowSequences, rows.Rows, op)).Ptr(Table(rows.RowPositions, rows.Rows, op))
                .Ptr(Table(rows.BlockTable, (long)rows.Sequences * rows.TableWidth, op)).Int(rows.TableWidth).Int(rows.BlockSize));
            return;
        }
        var dst = LaunchChecks.Buffer(pool, src.DType, rows.PoolRowsNeeded() * source.Cols, op, nameof(pool));
        var elem = src.DType.SizeOf();
        // 32-bit words when every row start is word-aligned, else bytes
        var words = (long)source.Cols * elem % 4 == 0 && (long)source.Stride * elem % 4 == 0 && source.Offset * elem % 4 == 0;
        var unit = words ? 4 : 1;
        Launch("paged_write_rows", new Dim3((uint)rows.Rows), new Dim3(128), new KernelArgs()
            .Ptr(src.At(source.Offset)).Long((long)source.Stride * elem / unit).Ptr(dst.Pointer).Int((int)((long)source.Cols * elem / unit)).Int(unit)
            .Ptr(Table(rows.RowSequences, rows.Rows, op)).Ptr(Table(rows.RowPositions, rows.Rows, op))
            .Ptr(Table(rows.BlockTable, (long)rows.Sequences * rows.TableWidth, op)).Int(rows.TableWidth).Int(rows.BlockSize));
    }

    /// <summary>
    /// FP8 latent rows (Fp8LatentRow): pool row rows.PoolRow(seq_i, pos_i) = e4m3 codes of F32 source row i, then one
    /// power-of-two fp32 scale per 128 values; pool U8 [poolRows, Fp8LatentRow.Bytes(source.Cols)].
    /// </summary>
    public void WriteLatentFp8(MatrixView source, DeviceBuffer pool, PagedRows rows)
    {
        const string op = "write_latent_fp8_paged";
        var src = LaunchChecks.View(source, DType.F32, op, nameof(source));
        LaunchChecks.That(source.Rows == rows.Rows, op, $"source has {source.Rows} rows, the paged rows {rows.Rows}");
        // the scales are fp32 words after the codes: every row start and scale 4-byte aligned
        LaunchChecks.That(source.Cols % 4 == 0, op, $"{source.Cols} latent values: FP8 rows need a multiple of 4");
        var rowBytes = Core.Numerics.Fp8LatentRow.Bytes(source.Cols);
        var dst = LaunchChecks.Buffer(pool, DType.U8, rows.PoolRowsNeeded() * rowBytes, op, nameof(pool));
        if (source.Cols == 0) return;
        LaunchChecks.That(rows.Rows <= int.MaxValue, op, "too many rows");
        Launch("paged_write_latent_fp8", new Dim3((uint)rows.Rows, Dim3.Blocks(Core.Numerics.ActQuant.BlockCount(source.Cols), 4)), new Dim3(128),
            new KernelArgs().Ptr(src.At(source.Offset)).Long(source.Stride).Ptr(dst.Pointer).Int(source.Cols).Int(rowBytes)
                .Ptr(Table(rows.RowSequences, rows.Rows, op)).Ptr(Table(rows.RowPositions, rows.Rows, op))
                .Ptr(Table(rows.BlockTable, (long)rows.Sequences * rows.TableWidth, op)).Int(rows.TableWidth).Int(rows.BlockSize));
    }

    /// <summary>
    /// output I32 [Rows, width] = pool rows of indices [Rows, width] (positions of each row's sequence; -1 stays -1), or of
    /// every position 0..pos_i when indices is null (width = MaxEnd).
    /// </summary>
    public void PoolRows(DeviceBuffer? indices, int width, PagedRows rows, DeviceBuffer output)
    {
        const string op = "paged_pool_rows";
        LaunchChecks.Positive(width, op, nameof(width));
        var idx = indices is null ? null : LaunchChecks.Buffer(indices, DType.I32, (long)rows.Rows * width, op, nameof(indices));
        var o = LaunchChecks.Buffer(output, DType.I32, (long)rows.Rows * width, op, nameof(output));
        LaunchChecks.That(rows.Rows <= 65535, op, $"{rows.Rows} rows exceed 65535 per launch");
        Launch("paged_pool_rows", new Dim3((uint)((width + 255) / 256), (uint)rows.Rows), new Dim3(256), new KernelArgs()
            .Ptr(idx?.Pointer ?? 0).Ptr(o.Pointer).Int(width)
            .Ptr(Table(rows.RowSequences, rows.Rows, op)).Ptr(Table(rows.RowPositions, rows.Rows, op))
            .Ptr(Table(rows.BlockTable, (long)rows.Sequences * rows.TableWidth, op)).Int(rows.TableWidth).Int(rows.BlockSize));
    }

    private static nint Table(DeviceBuffer table, long length, string op) => LaunchChecks.Buffer(table, DType.I32, length, op, "paged table").Pointer;
}
