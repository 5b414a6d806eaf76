using System.Numerics.Tensors;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Compute.Host;

// DeepSeek sparse attention on the CPU: the lightning indexer's scores and top-k, and MLA over the selected keys.
public sealed partial class HostDevice
{
    public void IndexScores(DeviceBuffer q8, DeviceBuffer weights, DeviceBuffer keys, DeviceBuffer keyScales,
        int tokens, int startPos, int heads, int dim, DeviceBuffer scores)
    {
        byte[] q = Host(q8).Bytes, k = Host(keys).Bytes;
        float[] w = Host(weights).Floats, ks = Host(keyScales).Floats, output = Host(scores).Floats;
        var end = startPos + tokens;
        // one decode query: spread its keys over the threads; a chunk of queries: one query per thread
        if (tokens == 1)
        {
            var qf = DecodeQuery(q, 0, heads, dim);
            Backend.For(end, (s0, s1) => ScoreKeys(qf, w.AsSpan(0, heads), k, ks, dim, s0, s1, output.AsSpan(s0, s1 - s0)));
            return;
        }
        Backend.For(tokens, (i0, i1) =>
        {
            for (var i = i0; i < i1; i++)
            {
                var visible = startPos + i + 1;
                var qf = DecodeQuery(q, i * heads * dim, heads, dim);
                var row = output.AsSpan(i * end, end);
                ScoreKeys(qf, w.AsSpan(i * heads, heads), k, ks, dim, 0, visible, row);
                row[visible..].Fill(float.NegativeInfinity);
            }
        });
    }

    public void TopK(DeviceBuffer scores, int tokens, int startPos, int k, DeviceBuffer indices)
    {
        float[] s = Host(scores).Floats;
        int[] result = Host(indices).Ints;
        var end = startPos + tokens;
        Backend.For(tokens, (i0, i1) =>
        {
            for (var i = i0; i < i1; i++)
            {
                var visible = startPos + i + 1;
                var row = result.AsSpan(i * k, k);
                var n = Numerics.TopK.Select(s.AsSpan(i * end, visible), Math.Min(k, visible), row);
                row[..n].Sort();
                row[n..].Fill(-1);
            }
        });
    }

    public void MlaPrefill(DeviceBuffer q, DeviceBuffer kvb, DeviceBuffer ropeKeys, DeviceBuffer? indices, int indexWidth,
        int tokens, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null)
    {
        float[] qs = Host(q).Floats, kv = Host(kvb).Floats, kpe = Host(ropeKeys).Floats, o = Host(output).Floats;
        var selected = indices is null ? null : Host(indices).Ints;
        var lseRows = LseRows(lse, (long)tokens * shape.Heads, "mla_prefill");
        int heads = shape.Heads, nope = shape.Nope, rope = shape.Rope, v = shape.V, qk = shape.QkDim, kvWidth = shape.KvBDim;
        Backend.For(tokens * heads, (start, end) =>
        {
            var scores = new float[tokens];
            for (var item = start; item < end; item++)
            {
                int i = item / heads, h = item % heads;
                var keys = Keys(selected, indexWidth, i, i);
                var qNope = qs.AsSpan((i * heads + h) * qk, nope);
                var qPe = qs.AsSpan((i * heads + h) * qk + nope, rope);
                for (var j = 0; j < keys.Length; j++)
                {
                    var s = keys[j];
                    scores[j] = (TensorPrimitives.Dot(qNope, kv.AsSpan((s * heads + h) * kvWidth, nope))
                        + TensorPrimitives.Dot(qPe, kpe.AsSpan(s * rope, rope))) * shape.SoftmaxScale;
                }
                var p = scores.AsSpan(0, keys.Length);
                var (max, sum) = SoftmaxToBf16(p);
                if (lseRows is not null) lseRows[item] = LogSumExp(max, sum);
                var row = o.AsSpan((i * heads + h) * v, v);
                row.Clear();
                for (var j = 0; j < keys.Length; j++)
                    TensorPrimitives.MultiplyAdd(kv.AsSpan((keys[j] * heads + h) * kvWidth + nope, v), p[j], row, row);
                BFloat16Math.RoundInPlace(row);
            }
        });
    }

    public void MlaAbsorbed(DeviceBuffer q, DeviceBuffer wkvb, DeviceBuffer latent, DeviceBuffer ropeKeys, DeviceBuffer? indices,
        int indexWidth, int tokens, int startPos, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null)
    {
        float[] qs = Host(q).Floats, wkv = Host(wkvb).Floats, lat = Host(latent).Floats, kpe = Host(ropeKeys).Floats, o = Host(output).Floats;
        var selected = indices is null ? null : Host(indices).Ints;
        var lseRows = LseRows(lse, (long)tokens * shape.Heads, "mla_absorbed");
        int heads = shape.Heads, nope = shape.Nope, rope = shape.Rope, v = shape.V, qk = shape.QkDim, kvWidth = shape.KvBDim, lora = shape.KvLora;
        Backend.For(tokens * heads, (start, end) =>
        {
            var qAbs = new float[lora];
            var oLat = new float[lora];
            var scores = new float[startPos + tokens];
            for (var item = start; item < end; item++)
            {
                int i = item / heads, h = item % heads;
                var keys = Keys(selected, indexWidth, i, startPos + i);
                var headW = wkv.AsSpan(h * kvWidth * lora, kvWidth * lora);   // [nope+v, lora]
                var qNope = qs.AsSpan((i * heads + h) * qk, nope);
                var qPe = qs.AsSpan((i * heads + h) * qk + nope, rope);

                Array.Clear(qAbs);
                for (var d = 0; d < nope; d++)
                    TensorPrimitives.MultiplyAdd(headW.Slice(d * lora, lora), qNope[d], qAbs, qAbs);
                BFloat16Math.RoundInPlace(qAbs);

                for (var j = 0; j < keys.Length; j++)
                {
                    var s = keys[j];
                    scores[j] = (TensorPrimitives.Dot(qAbs, lat.AsSpan(s * lora, lora))
                        + TensorPrimitives.Dot(qPe, kpe.AsSpan(s * rope, rope))) * shape.SoftmaxScale;
                }
                var p = scores.AsSpan(0, keys.Length);
                var (max, sum) = SoftmaxToBf16(p);
                if (lseRows is not null) lseRows[item] = LogSumExp(max, sum);
                Array.Clear(oLat);
                for (var j = 0; j < keys.Length; j++)
                    TensorPrimitives.MultiplyAdd(lat.AsSpan(keys[j] * lora, lora), p[j], oLat, oLat);
                BFloat16Math.RoundInPlace(oLat);

                var row = o.AsSpan((i * heads + h) * v, v);
                for (var d = 0; d < v; d++)
                    row[d] = TensorPrimitives.Dot(headW.Slice((nope + d) * lora, lora), oLat);
                BFloat16Math.RoundInPlace(row);
            }
        });
    }

    /// <summary>The q heads of one query as exact fp32 values of their e4m3 codes: [heads, dim].</summary>
    private static float[] DecodeQuery(byte[] q8, int offset, int heads, int dim)
    {
        var q = new float[heads * dim];
        Fp8E4M3.ToFloat(q8.AsSpan(offset, heads * dim), q);
        return q;
    }

    /// <summary>
    /// fp8_index for keys [s0, s1): score[s] = kscale[s]·Σ_h max(0, q_h·k_s)·w_h. e4m3 codes are exact in fp32, so
    /// decoding then SIMD dots changes only the fp32 summation order versus <see cref="Fp8Index"/>.
    /// </summary>
    private static void ScoreKeys(float[] q, ReadOnlySpan<float> w, byte[] keys, float[] keyScales, int dim, int s0, int s1, Span<float> dst)
    {
        var heads = w.Length;
        Span<float> key = stackalloc float[dim];
        for (var s = s0; s < s1; s++)
        {
            Fp8E4M3.ToFloat(keys.AsSpan(s * dim, dim), key);
            var sum = 0f;
            for (var h = 0; h < heads; h++)
                sum += MathF.Max(TensorPrimitives.Dot(q.AsSpan(h * dim, dim), key), 0f) * w[h];
            dst[s - s0] = sum * keyScales[s];
        }
    }

    /// <summary>Key positions of query row i (at position pos): its selected set (up to the first -1), or all of 0..pos.</summary>
    private static ReadOnlySpan<int> Keys(int[]? selected, int width, int i, int pos)
    {
        if (selected is null) return AllPositions(pos + 1);
        var row = selected.AsSpan(i * width, width);
        var n = row.IndexOf(-1);
        return n < 0 ? row : row[..n];
    }

    private static int[] s_allPositions = [];

    private static ReadOnlySpan<int> AllPositions(int count)
    {
        var all = s_allPositions;
        if (all.Length < count)
        {
            all = Enumerable.Range(0, Math.Max(count, all.Length * 2)).ToArray();
            s_allPositions = all;
        }
        return all.AsSpan(0, count);
    }

    /// <summary>
    /// fp32 softmax in place, then probabilities rounded to bf16 (the reference's scores.type_as(x)). Returns the max and
    /// the sum of exp(x - max) it normalised with (-inf and 0 for no keys).
    /// </summary>
    private static (float Max, float Sum) SoftmaxToBf16(Span<float> x)
    {
        if (x.IsEmpty) return (float.NegativeInfinity, 0f);
        var max = TensorPrimitives.Max(x);
        var sum = 0f;
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        for (var i = 0; i < x.Length; i++) x[i] /= sum;
        BFloat16Math.RoundInPlace(x);
        return (max, sum);
    }

    /// <summary>ln Σ exp(s) from the softmax's own max and sum, in fp32 (the CUDA kernels form it the same way); -inf for no keys.</summary>
    private static float LogSumExp(float max, float sum) => sum > 0 ? max + MathF.Log(sum) : float.NegativeInfinity;

    /// <summary>The optional lse output of an MLA op: F32 with at least <paramref name="rows"/> (tokens × heads) values.</summary>
    private static float[]? LseRows(DeviceBuffer? lse, long rows, string op)
    {
        if (lse is null) return null;
        if (lse.DType != DType.F32) throw new ArgumentException($"{op}: lse must be F32 [tokens, heads], not {lse.DType}", nameof(lse));
        if (lse.Length < rows) throw new ArgumentException($"{op}: lse has {lse.Length} elements, needs {rows} (tokens × heads)", nameof(lse));
        return Host(lse).Floats;
    }
}
