using System.Numerics.Tensors;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Compute.Host;

/// <summary>
/// <see cref="IComputeDevice"/> on the CPU: buffers are managed arrays, linears run on an <see cref="IBackend"/>
/// (the SIMD <c>CpuBackend</c> or the scalar oracle), the other ops are plain loops over spans, parallel through
/// <see cref="IBackend.For"/> where rows or heads are independent. Ops run synchronously, in order.
/// </summary>
public sealed partial class HostDevice(IBackend backend, bool ownsBackend = false) : IComputeDevice
{
    public IBackend Backend { get; } = backend;

    public string Name => $"cpu ({Backend.Name}, {Backend.Threads} threads)";

    public DeviceBuffer Allocate(DType dtype, long length) => new HostBuffer(dtype, length);

    public void Upload<T>(ReadOnlySpan<T> source, DeviceBuffer destination, long offset = 0) where T : unmanaged
    {
        var dst = Host(destination).AsSpan<T>();
        CheckRange(offset, source.Length, dst.Length, "upload");
        source.CopyTo(dst[(int)offset..]);
    }

    public void Download<T>(DeviceBuffer source, long offset, Span<T> destination) where T : unmanaged
    {
        var src = Host(source).AsSpan<T>();
        CheckRange(offset, destination.Length, src.Length, "download");
        src.Slice((int)offset, destination.Length).CopyTo(destination);
    }

    public void Copy(DeviceBuffer source, long sourceOffset, DeviceBuffer destination, long destinationOffset, long count)
    {
        if (source.DType.SizeOf() != destination.DType.SizeOf()) throw new ArgumentException($"copy from {source} to {destination}: element sizes differ");
        var src = Host(source).AsSpan<byte>();
        var dst = Host(destination).AsSpan<byte>();
        var size = source.DType.SizeOf();
        CheckRange(sourceOffset * size, count * size, src.Length, "copy source");
        CheckRange(destinationOffset * size, count * size, dst.Length, "copy destination");
        src.Slice((int)(sourceOffset * size), (int)(count * size)).CopyTo(dst[(int)(destinationOffset * size)..]);
    }

    public DeviceLinear UploadLinear(LinearWeight weight) => new HostLinear(weight);

    public void Synchronize() { }

    public unsafe void Embed(DeviceLinear table, DeviceBuffer ids, int count, DeviceBuffer output)
    {
        var w = Weight(table);
        var tokens = Host(ids).Ints;
        var y = Host(output).Floats;
        var width = w.In;
        for (var i = 0; i < count; i++)
        {
            var id = tokens[i];
            if ((uint)id >= (uint)w.Out) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} at index {i} is outside the vocabulary (0..{w.Out - 1})");
            var dst = y.AsSpan(i * width, width);
            switch (w.DType)
            {
                case DType.BF16: BFloat16Math.ToFloat(new ReadOnlySpan<ushort>((ushort*)w.Data + (long)id * width, width), dst); break;
                case DType.F32: new ReadOnlySpan<float>((float*)w.Data + (long)id * width, width).CopyTo(dst); BFloat16Math.RoundInPlace(dst); break;
                default: throw new NotSupportedException($"embedding {w.Name}: dtype {w.DType}");
            }
        }
    }

    public void Linear(DeviceLinear weight, MatrixView x, MatrixView y, bool roundToBf16, bool powerOfTwoScales)
    {
        var w = Weight(weight);
        x.Validate($"linear {w.Name} x");
        y.Validate($"linear {w.Name} y");
        if (x.Cols != w.In || y.Cols != w.Out || x.Rows != y.Rows)
            throw new ArgumentException($"linear {w.Name} [{w.Out}, {w.In}]: x is [{x.Rows}, {x.Cols}], y is [{y.Rows}, {y.Cols}]");
        var rows = x.Rows;
        var input = Dense(x);
        var dense = y.Stride == y.Cols;
        var output = dense ? Floats(y).AsSpan((int)y.Offset, rows * y.Cols) : new float[rows * y.Cols];
        Backend.Linear(w, input, rows, output, powerOfTwoScales);
        if (roundToBf16) BFloat16Math.RoundInPlace(output);
        if (!dense)
            for (var r = 0; r < rows; r++) output.Slice(r * y.Cols, y.Cols).CopyTo(Row(y, r));
    }

    public void AddRmsNorm(DeviceBuffer h, DeviceBuffer residual, bool hasResidual, DeviceBuffer weight, float eps, DeviceBuffer y, int rows, int width)
    {
        float[] hs = Host(h).Floats, rs = Host(residual).Floats, ys = Host(y).Floats, ws = Host(weight).Floats;
        for (var r = 0; r < rows; r++)
        {
            var hRow = hs.AsSpan(r * width, width);
            var resRow = rs.AsSpan(r * width, width);
            var yRow = ys.AsSpan(r * width, width);
            if (hasResidual) TensorPrimitives.Add(hRow, resRow, yRow);   // fp32 sum, normalised unrounded
            else hRow.CopyTo(yRow);
            yRow.CopyTo(resRow);
            BFloat16Math.RoundInPlace(resRow);
            RmsNormRow(yRow, ws.AsSpan(0, width), eps, yRow);
        }
    }

    public void RmsNorm(MatrixView x, DeviceBuffer weight, float eps, MatrixView y)
    {
        x.Validate("rms_norm x");
        y.Validate("rms_norm y");
        var w = Host(weight).Floats.AsSpan(0, x.Cols);
        for (var r = 0; r < x.Rows; r++) RmsNormRow(Row(x, r), w, eps, Row(y, r));
    }

    public void LayerNorm(MatrixView x, DeviceBuffer weight, DeviceBuffer bias, float eps)
    {
        x.Validate("layer_norm x");
        float[] w = Host(weight).Floats, b = Host(bias).Floats;
        for (var r = 0; r < x.Rows; r++)
        {
            var row = Row(x, r);
            var n = row.Length;
            var mean = TensorPrimitives.Sum(row) / n;
            var variance = 0f;
            for (var i = 0; i < n; i++)
            {
                var d = row[i] - mean;
                variance += d * d;
            }
            variance /= n;
            var inv = 1f / MathF.Sqrt(variance + eps);
            for (var i = 0; i < n; i++) row[i] = (row[i] - mean) * inv * w[i] + b[i];
            BFloat16Math.RoundInPlace(row);
        }
    }

    public void Rope(MatrixView x, int rowsPerPosition, int startPos, DeviceBuffer cos, DeviceBuffer sin, RopeLayout layout)
    {
        x.Validate("rope x");
        var half = x.Cols / 2;
        float[] c = Host(cos).Floats, s = Host(sin).Floats;
        for (var r = 0; r < x.Rows; r++)
        {
            var row = Row(x, r);
            var pos = startPos + r / rowsPerPosition;
            var cp = c.AsSpan(pos * half, half);
            var sp = s.AsSpan(pos * half, half);
            for (var i = 0; i < half; i++)
            {
                int ia = layout == RopeLayout.Interleaved ? 2 * i : i, ib = layout == RopeLayout.Interleaved ? 2 * i + 1 : i + half;
                float a = row[ia], b = row[ib];
                row[ia] = a * cp[i] - b * sp[i];
                row[ib] = a * sp[i] + b * cp[i];
            }
            BFloat16Math.RoundInPlace(row);
        }
    }

    public void HadamardRound(MatrixView x)
    {
        x.Validate("hadamard x");
        for (var r = 0; r < x.Rows; r++)
        {
            var row = Row(x, r);
            Hadamard.TransformInPlace(row);
            BFloat16Math.RoundInPlace(row);
        }
    }

    public void ActQuant(MatrixView x, DeviceBuffer codes, long codesOffset, DeviceBuffer scales, long scalesOffset, bool powerOfTwo)
    {
        x.Validate("act_quant x");
        byte[] q = Host(codes).Bytes;
        float[] sc = Host(scales).Floats;
        var blocks = Numerics.ActQuant.BlockCount(x.Cols);
        for (var r = 0; r < x.Rows; r++)
            Numerics.ActQuant.QuantizeRow(Row(x, r), q.AsSpan((int)(codesOffset + (long)r * x.Cols), x.Cols),
                sc.AsSpan((int)(scalesOffset + (long)r * blocks), blocks), Numerics.ActQuant.DefaultBlockSize, powerOfTwo);
    }

    public void FakeQuantize(MatrixView x, bool powerOfTwo)
    {
        x.Validate("fake_quantize x");
        for (var r = 0; r < x.Rows; r++)
            Numerics.ActQuant.FakeQuantizeRowToBf16(Row(x, r), Numerics.ActQuant.DefaultBlockSize, powerOfTwo);
    }

    public void ScaleIndexerWeights(DeviceBuffer weights, DeviceBuffer qScales, int count, float headScale, float dimScale)
    {
        float[] w = Host(weights).Floats, qs = Host(qScales).Floats;
        for (var i = 0; i < count; i++) w[i] = w[i] * headScale * qs[i] * dimScale;
    }

    public void SiluMul(DeviceBuffer gate, DeviceBuffer up, int count)
    {
        float[] g = Host(gate).Floats, u = Host(up).Floats;
        for (var i = 0; i < count; i++)
        {
            var v = g[i];
            g[i] = v / (1f + MathF.Exp(-v)) * u[i];
        }
        BFloat16Math.RoundInPlace(g.AsSpan(0, count));
    }

    public void AddRound(DeviceBuffer a, DeviceBuffer b, DeviceBuffer output, int count)
    {
        var o = Host(output).Floats.AsSpan(0, count);
        TensorPrimitives.Add(Host(a).Floats.AsSpan(0, count), Host(b).Floats.AsSpan(0, count), o);
        BFloat16Math.RoundInPlace(o);
    }

    public void ArgMax(DeviceBuffer logits, int rows, int vocab, DeviceBuffer ids)
    {
        float[] l = Host(logits).Floats;
        int[] result = Host(ids).Ints;
        for (var r = 0; r < rows; r++)
        {
            var row = l.AsSpan(r * vocab, vocab);
            var best = 0;
            for (var i = 1; i < vocab; i++)
                if (row[i] > row[best]) best = i;
            result[r] = best;
        }
    }

    public void Dispose()
    {
        if (ownsBackend) Backend.Dispose();
    }

    /// <summary>y = bf16(w · x·rsqrt(mean(x²)+eps)); x and y may alias.</summary>
    private static void RmsNormRow(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        var sumSquares = TensorPrimitives.SumOfSquares(x);
        var inv = 1f / MathF.Sqrt(sumSquares / x.Length + eps);
        for (var i = 0; i < x.Length; i++) y[i] = weight[i] * (x[i] * inv);
        BFloat16Math.RoundInPlace(y[..x.Length]);
    }

    private static HostBuffer Host(DeviceBuffer buffer) =>
        buffer as HostBuffer ?? throw new ArgumentException($"buffer {buffer} does not belong to the CPU device");

    private static LinearWeight Weight(DeviceLinear linear) =>
        (linear as HostLinear ?? throw new ArgumentException($"weight {linear} does not belong to the CPU device")).Weight;

    private static float[] Floats(MatrixView v) => Host(v.Buffer).Floats;

    private static Span<float> Row(MatrixView v, int r) => Floats(v).AsSpan((int)(v.Offset + (long)r * v.Stride), v.Cols);

    /// <summary>The view as a dense [rows, cols] span: in place when already dense, else a packed copy.</summary>
    private static ReadOnlySpan<float> Dense(MatrixView v)
    {
        if (v.Stride == v.Cols) return Floats(v).AsSpan((int)v.Offset, v.Rows * v.Cols);
        var packed = new float[v.Rows * v.Cols];
        for (var r = 0; r < v.Rows; r++) Row(v, r).CopyTo(packed.AsSpan(r * v.Cols));
        return packed;
    }

    private static void CheckRange(long offset, long count, long length, string what)
    {
        if (offset < 0 || count < 0 || offset + count > length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{what}: elements [{offset}, {offset + count}) outside a buffer of {length}");
    }
}
