namespace SeekSharp.Core.Compute;

/// <summary>
/// The paged DSA ops of <see cref="IComputeDevice"/> built from its single-sequence ops: each maximal run of rows of
/// one sequence at consecutive positions gathers that sequence's cache rows into position order and calls the
/// contiguous op. Bit-identical to the contiguous ops by construction (the CPU device uses this); a device with
/// paged kernels overrides the ops instead.
/// </summary>
public static class PagedFallback
{
    /// <summary>Maximal runs [First, First + Count) of rows of one sequence at consecutive positions.</summary>
    public static List<(int First, int Count)> Runs(PagedRows rows)
    {
        var runs = new List<(int, int)>();
        var seq = rows.HostRowSequences;
        var pos = rows.HostRowPositions;
        var first = 0;
        for (var i = 1; i <= rows.Rows; i++)
        {
            if (i < rows.Rows && seq[i] == seq[first] && pos[i] == pos[i - 1] + 1) continue;
            runs.Add((first, i - first));
            first = i;
        }
        return runs;
    }

    public static void IndexScores(IComputeDevice d, DeviceBuffer q8, DeviceBuffer weights, DeviceBuffer keyPool, DeviceBuffer scalePool,
        PagedRows rows, int heads, int dim, DeviceBuffer scores)
    {
        var maxEnd = rows.MaxEnd;
        using var temps = new Temporaries(d);
        foreach (var (first, n) in Runs(rows))
        {
            var seq = rows.HostRowSequences[first];
            var p0 = rows.HostRowPositions[first];
            var end = p0 + n;
            var keys = temps.Sequence(keyPool, dim, rows, seq, end);
            var keyScales = temps.Sequence(scalePool, 1, rows, seq, end);
            var q = temps.Slice(q8, (long)first * heads * dim, (long)n * heads * dim);
            var w = temps.Slice(weights, (long)first * heads, (long)n * heads);
            var direct = first == 0 && n == rows.Rows;                  // one run: scores [n, end] is the output's layout
            var runScores = direct ? scores : temps.New(DType.F32, (long)n * end);
            d.IndexScores(q, w, keys, keyScales, n, p0, heads, dim, runScores);
            if (ReferenceEquals(runScores, scores)) continue;
            var masked = end < maxEnd ? NegativeInfinities(maxEnd - end) : [];
            for (var r = 0; r < n; r++)
            {
                var row = (long)(first + r) * maxEnd;
                d.Copy(runScores, (long)r * end, scores, row, end);
                if (masked.Length > 0) d.Upload<float>(masked, scores, row + end);
            }
        }
    }

    public static void TopK(IComputeDevice d, DeviceBuffer scores, PagedRows rows, int k, DeviceBuffer indices)
    {
        var maxEnd = rows.MaxEnd;
        using var temps = new Temporaries(d);
        foreach (var (first, n) in Runs(rows))
        {
            var p0 = rows.HostRowPositions[first];
            var end = p0 + n;
            DeviceBuffer runScores;
            if (first == 0 && end == maxEnd) runScores = scores;       // rows already [n, end]
            else
            {
                runScores = temps.New(DType.F32, (long)n * end);
                for (var r = 0; r < n; r++) d.Copy(scores, (long)(first + r) * maxEnd, runScores, (long)r * end, end);
            }
            var runIndices = first == 0 ? indices : temps.New(DType.I32, (long)n * k);
            d.TopK(runScores, n, p0, k, runIndices);
            if (!ReferenceEquals(runIndices, indices)) d.Copy(runIndices, 0, indices, (long)first * k, (long)n * k);
        }
    }

    public static void MlaAbsorbed(IComputeDevice d, DeviceBuffer q, DeviceBuffer wkvb, DeviceBuffer latentPool, DeviceBuffer ropePool,
        DeviceBuffer? indices, int indexWidth, PagedRows rows, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null)
    {
        using var temps = new Temporaries(d);
        var qWidth = (long)shape.Heads * shape.QkDim;
        var outWidth = (long)shape.Heads * shape.V;
        var heads = shape.Heads;
        foreach (var (first, n) in Runs(rows))
        {
            var seq = rows.HostRowSequences[first];
            var p0 = rows.HostRowPositions[first];
            var end = p0 + n;
            var latent = latentPool.DType == DType.U8
                ? temps.Fp8Sequence(latentPool, shape.KvLora, rows, seq, end)
                : temps.Sequence(latentPool, shape.KvLora, rows, seq, end);
            var ropeKeys = temps.Sequence(ropePool, shape.Rope, rows, seq, end);
            var qRun = temps.Slice(q, first * qWidth, n * qWidth);
            var selected = indices is null ? null : temps.Slice(indices, (long)first * indexWidth, (long)n * indexWidth);
            var runOutput = first == 0 ? output : temps.New(DType.F32, n * outWidth);
            var runLse = lse is null || first == 0 ? lse : temps.New(DType.F32, (long)n * heads);   // [n, heads]
            d.MlaAbsorbed(qRun, wkvb, latent, ropeKeys, selected, indexWidth, n, p0, shape, runOutput, runLse);
            if (!ReferenceEquals(runOutput, output)) d.Copy(runOutput, 0, output, first * outWidth, n * outWidth);
            if (!ReferenceEquals(runLse, lse)) d.Copy(runLse!, 0, lse!, (long)first * heads, (long)n * heads);
        }
    }

    public static void FakeQuantize(IComputeDevice d, MatrixView x, bool powerOfTwo)
    {
        x.Validate("fake_quantize x");
        var row = new float[x.Cols];
        for (var r = 0; r < x.Rows; r++)
        {
            var offset = x.Offset + (long)r * x.Stride;
            d.Download<float>(x.Buffer, offset, row);
            Numerics.ActQuant.FakeQuantizeRowToBf16(row, Numerics.ActQuant.DefaultBlockSize, powerOfTwo);
            d.Upload<float>(row, x.Buffer, offset);
        }
    }

    public static void WriteLatentFp8(IComputeDevice d, MatrixView source, DeviceBuffer pool, PagedRows rows)
    {
        source.Validate("write_latent_fp8_paged source");
        if (source.Rows != rows.Rows)
            throw new ArgumentException($"write_latent_fp8_paged: source has {source.Rows} rows, the paged rows {rows.Rows}");
        if (pool.DType != DType.U8)
            throw new ArgumentException($"write_latent_fp8_paged: the pool is {pool.DType}; FP8 latent rows are U8");
        var bytes = Numerics.Fp8LatentRow.Bytes(source.Cols);
        var values = new float[source.Cols];
        var encoded = new byte[bytes];
        for (var i = 0; i < rows.Rows; i++)
        {
            d.Download<float>(source.Buffer, source.Offset + (long)i * source.Stride, values);
            Numerics.Fp8LatentRow.Encode(values, encoded);
            d.Upload<byte>(encoded, pool, rows.PoolRow(rows.HostRowSequences[i], rows.HostRowPositions[i]) * bytes);
        }
    }

    public static void WriteRows(IComputeDevice d, MatrixView source, DeviceBuffer pool, PagedRows rows)
    {
        source.Validate("write_rows_paged source");
        if (source.Rows != rows.Rows)
            throw new ArgumentException($"write_rows_paged: source has {source.Rows} rows, the paged rows {rows.Rows}");
        for (var i = 0; i < rows.Rows; i++)
        {
            var target = rows.PoolRow(rows.HostRowSequences[i], rows.HostRowPositions[i]) * source.Cols;
            d.Copy(source.Buffer, source.Offset + (long)i * source.Stride, pool, target, source.Cols);
        }
    }

    public static void RopeAt(IComputeDevice d, MatrixView x, int rowsPerPosition, DeviceBuffer positions, DeviceBuffer cos,
        DeviceBuffer sin, RopeLayout layout)
    {
        if (rowsPerPosition < 1 || x.Rows % rowsPerPosition != 0)
            throw new ArgumentException($"rope_at: {x.Rows} rows do not split into groups of {rowsPerPosition}");
        var groups = x.Rows / rowsPerPosition;
        var pos = new int[groups];
        d.Download<int>(positions, 0, pos);
        // runs of consecutive positions rotate in one contiguous call
        for (var first = 0; first < groups;)
        {
            var next = first + 1;
            while (next < groups && pos[next] == pos[next - 1] + 1) next++;
            var view = x with { Offset = x.Offset + (long)first * rowsPerPosition * x.Stride, Rows = (next - first) * rowsPerPosition };
            d.Rope(view, rowsPerPosition, pos[first], cos, sin, layout);
            first = next;
        }
    }

    private static float[] NegativeInfinities(int count)
    {
        var values = new float[count];
        values.AsSpan().Fill(float.NegativeInfinity);
        return values;
    }

    /// <summary>Buffers made for one call, freed at its end.</summary>
    private sealed class Temporaries(IComputeDevice d) : IDisposable
    {
        private readonly List<DeviceBuffer> _owned = [];

        public DeviceBuffer New(DType dtype, long length)
        {
            var buffer = d.Allocate(dtype, length);
            _owned.Add(buffer);
            return buffer;
        }

        /// <summary>Elements [offset, offset + count) at offset 0: the buffer itself when the slice starts there.</summary>
        public DeviceBuffer Slice(DeviceBuffer buffer, long offset, long count)
        {
            if (offset == 0) return buffer;
            var copy = New(buffer.DType, count);
            d.Copy(buffer, offset, copy, 0, count);
            return copy;
        }

        /// <summary>
        /// Positions [0, end) of one sequence from a pool [poolRows, width], in position order: the pool itself when the
        /// sequence's first block is pool block 0 and covers them all (a contiguous cache), else a gathered copy.
        /// </summary>
        public DeviceBuffer Sequence(DeviceBuffer pool, int width, PagedRows rows, int sequence, int end)
        {
            var bs = rows.BlockSize;
            var table = rows.HostBlockTable.Slice(sequence * rows.TableWidth, rows.TableWidth);
            if (end <= bs && table[0] == 0) return pool;
            var copy = New(pool.DType, (long)end * width);
            for (var p = 0; p < end; p += bs)
                d.Copy(pool, (long)table[p / bs] * bs * width, copy, (long)p * width, (long)Math.Min(bs, end - p) * width);
            return copy;
        }

        /// <summary>
        /// Positions [0, end) of one sequence from a pool of FP8 latent rows (U8 [poolRows, Fp8LatentRow.Bytes(width)]),
        /// decoded into a new F32 [end, width].
        /// </summary>
        public DeviceBuffer Fp8Sequence(DeviceBuffer pool, int width, PagedRows rows, int sequence, int end)
        {
            var bytes = Numerics.Fp8LatentRow.Bytes(width);
            var encoded = new byte[bytes];
            var values = new float[(long)end * width];
            for (var p = 0; p < end; p++)
            {
                d.Download<byte>(pool, rows.PoolRow(sequence, p) * bytes, encoded);
                Numerics.Fp8LatentRow.Decode(encoded, values.AsSpan(p * width, width));
            }
            var decoded = New(DType.F32, values.Length);
            d.Upload<float>(values, decoded);
            return decoded;
        }

        public void Dispose()
        {
            foreach (var buffer in _owned) buffer.Dispose();
            _owned.Clear();
        }
    }
}
