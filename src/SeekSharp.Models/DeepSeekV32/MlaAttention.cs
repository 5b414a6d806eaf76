using System.Numerics.Tensors;
using SeekSharp.Core.Numerics;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Ops;
using SeekSharp.Models.DeepSeekV32.Weights;

namespace SeekSharp.Models.DeepSeekV32;

/// <summary>
/// Multi-head latent attention over DSA-selected keys. Two exact forms of the same math:
/// MHA (reference prefill from position 0: expand k_nope and v from the latent with kv_b) and
/// absorbed MQA (decode and continued prefill: fold W_UK into q, attend over the 576-wide latent cache, apply W_UV).
/// </summary>
public sealed class MlaAttention
{
    private readonly int _heads, _nope, _rope, _v, _kvLora;
    private readonly float _eps;
    private readonly RopeTable _ropeTable;

    public MlaAttention(DeepSeekConfig config, RopeTable rope)
    {
        _heads = config.NumAttentionHeads;
        _nope = config.QkNopeHeadDim;
        _rope = config.QkRopeHeadDim;
        _v = config.VHeadDim;
        _kvLora = config.KvLoraRank;
        _eps = (float)config.RmsNormEps;
        _ropeTable = rope;
    }

    /// <param name="x">[tokens, hidden] attn-normed input.</param>
    /// <param name="output">[tokens, hidden] attention output (bf16 values).</param>
    public void Forward(ForwardContext ctx, int layer, LayerWeights lw, LightningIndexer? indexer,
        ReadOnlySpan<float> x, Span<float> output)
    {
        var w = lw.Attention;
        var t = ctx.Tokens;
        var qk = _nope + _rope;
        var cache = ctx.Cache.Layer(layer);

        var qr = new float[t * w.QA.Out];                    // [t, q_lora]
        ctx.Linear(w.QA, x, t, qr);
        Norms.RmsNormRows(qr, t, w.QA.Out, 0, w.QNorm, _eps);
        var q = new float[t * _heads * qk];                  // [t, heads, nope|rope]
        ctx.Linear(w.QB, qr, t, q);
        var kv = new float[t * (_kvLora + _rope)];           // [t, latent|k_pe]
        ctx.Linear(w.KvA, x, t, kv);

        for (var i = 0; i < t; i++)
        {
            var pos = ctx.StartPos + i;
            for (var h = 0; h < _heads; h++)
                _ropeTable.RotateInterleaved(q.AsSpan((i * _heads + h) * qk + _nope, _rope), pos);
            var row = kv.AsSpan(i * (_kvLora + _rope), _kvLora + _rope);
            Norms.RmsNormRow(row[.._kvLora], w.KvNorm, _eps, cache.LatentRow(pos));
            var kPe = cache.RopeKeyRow(pos);
            row[_kvLora..].CopyTo(kPe);
            _ropeTable.RotateInterleaved(kPe, pos);
        }

        var selected = indexer is null || lw.Indexer is null
            ? null                                           // deepseek_v3: dense causal attention
            : indexer.Select(ctx, layer, lw.Indexer, x, qr);

        var attended = new float[t * _heads * _v];           // [t, heads, v]
        if (ctx.UsesMhaPrefill)
            PrefillMha(ctx, w, q, cache, selected, attended);
        else
            AbsorbedMqa(ctx, w, q, cache, selected, attended);
        ctx.Linear(w.O, attended, t, output);
    }

    /// <summary>Reference prefill: k_nope, v = kv_b(latent) per head; fp32 scores over [q_nope|q_pe]·[k_nope|k_pe].</summary>
    private void PrefillMha(ForwardContext ctx, MlaWeights w, float[] q, SequenceCache.LayerCache cache, int[][]? selected, float[] attended)
    {
        var t = ctx.Tokens;
        var qk = _nope + _rope;
        var kvWidth = _nope + _v;
        var kvb = new float[t * _heads * kvWidth];           // [t, heads, k_nope|v]
        ctx.Linear(w.KvB, cache.Latent.AsSpan(0, t * _kvLora), t, kvb);
        var scale = _ropeTable.SoftmaxScale;

        ctx.Backend.For(t * _heads, (start, end) =>
        {
            var scores = new float[t];
            for (var item = start; item < end; item++)
            {
                int i = item / _heads, h = item % _heads;
                var keys = Keys(selected, i, i);
                var qNope = q.AsSpan((i * _heads + h) * qk, _nope);
                var qPe = q.AsSpan((i * _heads + h) * qk + _nope, _rope);
                for (var j = 0; j < keys.Length; j++)
                {
                    var s = keys[j];
                    var kNope = kvb.AsSpan((s * _heads + h) * kvWidth, _nope);
                    scores[j] = (TensorPrimitives.Dot(qNope, kNope) + TensorPrimitives.Dot(qPe, cache.RopeKeyRow(s))) * scale;
                }
                var p = scores.AsSpan(0, keys.Length);
                SoftmaxToBf16(p);
                var o = attended.AsSpan((i * _heads + h) * _v, _v);
                o.Clear();
                for (var j = 0; j < keys.Length; j++)
                    TensorPrimitives.MultiplyAdd(kvb.AsSpan((keys[j] * _heads + h) * kvWidth + _nope, _v), p[j], o, o);
                BFloat16Math.RoundInPlace(o);
            }
        });
    }

    /// <summary>Absorbed form over the latent cache: q̂ = W_UKᵀ q_nope (bf16), scores over [latent|k_pe], o = W_UV Σ p·latent.</summary>
    private void AbsorbedMqa(ForwardContext ctx, MlaWeights w, float[] q, SequenceCache.LayerCache cache, int[][]? selected, float[] attended)
    {
        var qk = _nope + _rope;
        var kvWidth = _nope + _v;
        var wkvb = w.KvBDequantized;                         // [heads, nope+v, kv_lora]
        var scale = _ropeTable.SoftmaxScale;

        ctx.Backend.For(ctx.Tokens * _heads, (start, end) =>
        {
            var qAbs = new float[_kvLora];
            var oLat = new float[_kvLora];
            var scores = new float[ctx.EndPos];
            for (var item = start; item < end; item++)
            {
                int i = item / _heads, h = item % _heads;
                var pos = ctx.StartPos + i;
                var keys = Keys(selected, i, pos);
                var headW = wkvb.AsSpan(h * kvWidth * _kvLora, kvWidth * _kvLora);
                var qNope = q.AsSpan((i * _heads + h) * qk, _nope);
                var qPe = q.AsSpan((i * _heads + h) * qk + _nope, _rope);

                Array.Clear(qAbs);
                for (var d = 0; d < _nope; d++)
                    TensorPrimitives.MultiplyAdd(headW.Slice(d * _kvLora, _kvLora), qNope[d], qAbs, qAbs);
                BFloat16Math.RoundInPlace(qAbs);

                for (var j = 0; j < keys.Length; j++)
                {
                    var s = keys[j];
                    scores[j] = (TensorPrimitives.Dot(qAbs, cache.LatentRow(s)) + TensorPrimitives.Dot(qPe, cache.RopeKeyRow(s))) * scale;
                }
                var p = scores.AsSpan(0, keys.Length);
                SoftmaxToBf16(p);
                Array.Clear(oLat);
                for (var j = 0; j < keys.Length; j++)
                    TensorPrimitives.MultiplyAdd(cache.LatentRow(keys[j]), p[j], oLat, oLat);
                BFloat16Math.RoundInPlace(oLat);

                var o = attended.AsSpan((i * _heads + h) * _v, _v);
                for (var d = 0; d < _v; d++)
                    o[d] = TensorPrimitives.Dot(headW.Slice((_nope + d) * _kvLora, _kvLora), oLat);
                BFloat16Math.RoundInPlace(o);
            }
        });
    }

    /// <summary>The key positions query row i (at position pos) attends to: its DSA set, or all of 0..pos.</summary>
    private static ReadOnlySpan<int> Keys(int[][]? selected, int i, int pos)
    {
        if (selected is not null) return selected[i];
        return AllPositions(pos + 1);
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

    /// <summary>fp32 softmax in place, then probabilities rounded to bf16 (the reference's scores.type_as(x)).</summary>
    private static void SoftmaxToBf16(Span<float> x)
    {
        if (x.IsEmpty) return;
        var max = TensorPrimitives.Max(x);
        var sum = 0f;
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        for (var i = 0; i < x.Length; i++) x[i] /= sum;
        BFloat16Math.RoundInPlace(x);
    }
}
