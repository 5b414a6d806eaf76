using System.Runtime.InteropServices;
using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Numerics;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32.Synthetic;

/// <summary>
/// Untrained random weights for any config, built in memory in seconds even at real width (a 256-expert layer is
/// 11 GB of FP8): every FP8 matrix is a window into one shared pool of random e4m3 codes (distinct offsets, so distinct
/// matrices) with its own block scales; bf16 matrices likewise share a bf16 pool. For GPU-vs-CPU comparisons and
/// benchmarks at real dimensions, where writing a checkpoint would cost minutes.
/// </summary>
public sealed class InMemoryRandomWeights
{
    private const long PoolBytes = 256L << 20;

    private readonly byte[] _fp8Pool;          // e4m3 codes of N(0, 1)·32: |code value| well inside ±448
    private readonly ushort[] _bf16Pool;       // bf16 bits of N(0, 1)
    private readonly Random _random;
    private readonly bool _fp8;

    private InMemoryRandomWeights(int seed, bool fp8)
    {
        _random = new Random(seed);
        _fp8 = fp8;
        _fp8Pool = GC.AllocateUninitializedArray<byte>((int)PoolBytes, pinned: true);
        _bf16Pool = GC.AllocateUninitializedArray<ushort>((int)(PoolBytes / 2), pinned: true);
        // Parallel fill with per-chunk generators: seconds for 256 MB.
        Parallel.For(0, 64, chunk =>
        {
            var r = new Random(seed * 131 + chunk);
            var codes = _fp8Pool.AsSpan((int)(chunk * (PoolBytes / 64)), (int)(PoolBytes / 64));
            for (var i = 0; i < codes.Length; i++) codes[i] = Fp8E4M3.FromFloat(Normal(r) * 32);
            var bits = _bf16Pool.AsSpan((int)(chunk * (PoolBytes / 128)), (int)(PoolBytes / 128));
            for (var i = 0; i < bits.Length; i++) bits[i] = BFloat16Math.FromFloat(Normal(r));
        });
    }

    /// <summary>Random weights shaped by <paramref name="config"/> (FP8 linears when the config is FP8).</summary>
    public static ModelWeights Create(DeepSeekConfig config, int seed)
    {
        var w = new InMemoryRandomWeights(seed, config.IsFp8);
        var layers = new LayerWeights[config.NumHiddenLayers];
        for (var l = 0; l < layers.Length; l++) layers[l] = w.Layer(config, l);
        var hidden = config.HiddenSize;
        return new ModelWeights(w.Bf16("model.embed_tokens.weight", config.VocabSize, hidden, 0.5f), layers,
            w.Norm(hidden), w.Bf16("lm_head.weight", config.VocabSize, hidden, 1.6f / MathF.Sqrt(hidden)));
    }

    private LayerWeights Layer(DeepSeekConfig c, int l)
    {
        var p = $"model.layers.{l}.";
        int hidden = c.HiddenSize, heads = c.NumAttentionHeads, qk = c.QkNopeHeadDim + c.QkRopeHeadDim;
        var kvB = Linear(p + "self_attn.kv_b_proj.weight", heads * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank, 2);
        var attention = new MlaWeights(
            Linear(p + "self_attn.q_a_proj.weight", c.QLoraRank, hidden), Norm(c.QLoraRank),
            Linear(p + "self_attn.q_b_proj.weight", heads * qk, c.QLoraRank, 2),
            Linear(p + "self_attn.kv_a_proj_with_mqa.weight", c.KvLoraRank + c.QkRopeHeadDim, hidden), Norm(c.KvLoraRank),
            kvB, DequantizedValues(kvB),
            Linear(p + "self_attn.o_proj.weight", hidden, heads * c.VHeadDim));
        var indexer = c.HasIndexer
            ? new IndexerWeights(
                Linear(p + "self_attn.indexer.wq_b.weight", c.IndexNHeads * c.IndexHeadDim, c.QLoraRank, 2),
                Linear(p + "self_attn.indexer.wk.weight", c.IndexHeadDim, hidden),
                Norm(c.IndexHeadDim), Bias(c.IndexHeadDim),
                Bf16(p + "self_attn.indexer.weights_proj.weight", c.IndexNHeads, hidden, 1.6f / MathF.Sqrt(hidden)))
            : null;
        if (!c.IsMoeLayer(l))
            return new LayerWeights(l, Norm(hidden), Norm(hidden), attention, indexer, Mlp(p + "mlp.", hidden, c.IntermediateSize), null);
        var experts = new MlpWeights[c.NRoutedExperts];
        for (var e = 0; e < experts.Length; e++) experts[e] = Mlp($"{p}mlp.experts.{e}.", hidden, c.MoeIntermediateSize);
        var moe = new MoeWeights(Bf16(p + "mlp.gate.weight", c.NRoutedExperts, hidden, 0.8f / MathF.Sqrt(hidden)), Bias(c.NRoutedExperts),
            experts, Mlp(p + "mlp.shared_experts.", hidden, c.MoeIntermediateSize * c.NSharedExperts));
        return new LayerWeights(l, Norm(hidden), Norm(hidden), attention, indexer, null, moe);
    }

    private MlpWeights Mlp(string prefix, int hidden, int inner) => new(
        Linear(prefix + "gate_proj.weight", inner, hidden), Linear(prefix + "up_proj.weight", inner, hidden),
        Linear(prefix + "down_proj.weight", hidden, inner));

    /// <summary>A projection with std ≈ gain·0.8/√in (FP8 codes + block scales, or bf16).</summary>
    private LinearWeight Linear(string name, int rows, int cols, float gain = 1)
    {
        var std = gain * 0.8f / MathF.Sqrt(cols);
        if (!_fp8) return Bf16(name, rows, cols, std);
        var scales = new float[((rows + 127) / 128) * ((cols + 127) / 128)];
        for (var i = 0; i < scales.Length; i++) scales[i] = std / 32 * (0.75f + 0.5f * (float)_random.NextDouble());
        return LinearWeight.FromPointer(name, DType.F8E4M3, rows, cols, Window(_fp8Pool, (long)rows * cols), scales, _fp8Pool);
    }

    /// <summary>A bf16 matrix: pool values N(0, 1) scaled by a power of two near <paramref name="std"/> (exact in bf16).</summary>
    private LinearWeight Bf16(string name, int rows, int cols, float std)
    {
        var count = (long)rows * cols;
        var shift = (int)MathF.Round(MathF.Log2(std));
        var bits = new ushort[count];
        var start = Offset(count, _bf16Pool.Length);
        for (long i = 0; i < count; i++)
        {
            var v = BFloat16Math.ToFloat(_bf16Pool[(start + i) % _bf16Pool.Length]);
            bits[i] = BFloat16Math.FromFloat(MathF.ScaleB(v, shift));
        }
        return LinearWeight.FromBf16(name, bits, rows, cols);
    }

    private unsafe nint Window(byte[] pool, long count)
    {
        if (count > pool.LongLength) throw new ArgumentOutOfRangeException(nameof(count), $"{count} codes exceed the {pool.Length}-byte pool");
        var start = Offset(count, pool.LongLength);
        return (nint)((byte*)Marshal.UnsafeAddrOfPinnedArrayElement(pool, 0) + start);
    }

    private long Offset(long count, long poolLength) => count >= poolLength ? 0 : _random.NextInt64(poolLength - count);

    private float[] Norm(int n)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = BFloat16Math.Round(1f + 0.05f * (float)(_random.NextDouble() * 2 - 1));
        return v;
    }

    private float[] Bias(int n)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = BFloat16Math.Round(0.02f * (float)(_random.NextDouble() * 2 - 1));
        return v;
    }

    /// <summary>The absorbed-form copy of kv_b: bf16 values of the dequantised weight, [out, in] (heads, nope+v, kv_lora).</summary>
    private static unsafe float[] DequantizedValues(LinearWeight w)
    {
        var result = new float[(long)w.Out * w.In];
        if (w.DType == DType.F8E4M3)
            WeightDequant.DequantizeToBf16(new ReadOnlySpan<byte>((void*)w.Data, result.Length), w.ScaleInv!, w.Out, w.In, result);
        else
            BFloat16Math.ToFloat(new ReadOnlySpan<ushort>((void*)w.Data, result.Length), result);
        return result;
    }

    private static float Normal(Random r)
    {
        var u1 = 1.0 - r.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * r.NextDouble()));
    }
}
