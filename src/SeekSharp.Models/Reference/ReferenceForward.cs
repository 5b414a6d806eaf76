using SeekSharp.Core;
using SeekSharp.Core.Numerics;
using SeekSharp.IO.Config;
using SeekSharp.IO.Safetensors;
using SeekSharp.Models.Decisions;

namespace SeekSharp.Models.Reference;

/// <summary>
/// The plain fp32 reference forward of DeepSeek-V3.2 (the oracle), written from the spec and the golden README §7,
/// never optimised: scalar loops, no SIMD, no threads; for tiny checkpoints only.
/// Activations are bf16 values held in fp32 arrays; <see cref="Bf16"/> marks every place where the reference
/// rounds to bf16. Op order per layer:
/// <code>
/// x = RMSNorm_attn(h [+ residual])            fused residual: fp32 add, residual kept bf16
/// h = MLA(x) with DSA top-k selection         prefill (start 0, several tokens): non-absorbed MHA;
///                                             otherwise absorbed MQA over the latent cache
/// x = RMSNorm_ffn(h + residual); h = FFN(x)   dense SwiGLU or MoE (routed experts + shared expert)
/// logits = fp32(RMSNorm_final(h + residual)) · fp32(lm_head)ᵀ   for every row
/// </code>
/// Linears: bf16 weight → fp32-accumulated dot, bf16 result; fp8 weight → act_quant (per token, per 128 columns)
/// + fp8 block GEMM → bf16. Router and indexer weights_proj in fp32.
/// Accumulation: every dot product and norm/softmax statistic is summed in double and rounded once to fp32, i.e. a
/// (nearly) exact fp32 reduction. The reference runs these as blocked GPU reductions whose fp32 result is within about
/// an ulp of exact; a long sequential fp32 sum is not, and its error flips single bf16 roundings that the indexer's fp8
/// quantisation then amplifies. Element-wise chains (RoPE, SiLU·up, routing weights, the MoE sum over experts) stay fp32
/// in the reference's order. fp8 GEMM and fp8_index use the Core kernels (exact e4m3 products, fp32 block sums).
/// YaRN (frequency blend and mscale² softmax factor) is applied whenever rope_scaling is present, as the reference
/// does for max_seq_len &gt; original_max_position_embeddings.
/// </summary>
public sealed class ReferenceForward
{
    private const int QuantBlock = 128;

    private readonly DeepSeekConfig _config;
    private readonly ReferenceOptions _options;
    private readonly int _hidden, _heads, _nope, _rope, _vDim, _kvLora;
    private readonly int _indexHeads, _indexDim, _indexTopk;
    private readonly float _eps;
    private readonly bool _activationPow2;     // ue8m0 activation scales of fp8 linears
    private readonly float _softmaxScale;
    private readonly float[] _invFreq;         // [rope / 2] YaRN inverse frequencies
    private readonly float[] _embed;           // [vocab, hidden]
    private readonly float[] _finalNorm;       // [hidden]
    private readonly float[] _lmHead;          // [vocab, hidden]
    private readonly Layer[] _layers;

    public ReferenceForward(DeepSeekConfig config, SafetensorsCheckpoint checkpoint, ReferenceOptions? options = null)
    {
        _config = config;
        _options = options ?? new ReferenceOptions();
        _hidden = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _nope = config.QkNopeHeadDim;
        _rope = config.QkRopeHeadDim;
        _vDim = config.VHeadDim;
        _kvLora = config.KvLoraRank;
        _indexHeads = config.IndexNHeads;
        _indexDim = config.IndexHeadDim;
        _indexTopk = _options.IndexTopkOverride ?? config.IndexTopk;
        if (_indexTopk <= 0) throw new ArgumentOutOfRangeException(nameof(options), "IndexTopkOverride must be positive");
        _eps = (float)config.RmsNormEps;
        _activationPow2 = config.Quantization?.ScaleFmt == "ue8m0";

        var yarn = config.RopeScaling;
        _invFreq = YarnRope.InverseFrequencies(_rope, (float)config.RopeTheta, (float)(yarn?.Factor ?? 1),
            yarn?.OriginalMaxPositionEmbeddings ?? config.MaxPositionEmbeddings,
            (float)(yarn?.BetaFast ?? 32), (float)(yarn?.BetaSlow ?? 1), applyYarn: yarn is not null);
        _softmaxScale = YarnRope.SoftmaxScale(config.QkHeadDim, (float)(yarn?.Factor ?? 1),
            (float)(yarn?.MscaleAllDim ?? 0), applyYarn: yarn is not null && yarn.MscaleAllDim != 0);

        var load = new WeightReader(checkpoint);
        _embed = load.Values("model.embed_tokens.weight");
        _finalNorm = load.Values("model.norm.weight");
        _lmHead = load.Values("lm_head.weight");
        _layers = new Layer[config.NumHiddenLayers];
        var moeOrdinal = 0;
        for (var l = 0; l < _layers.Length; l++)
            _layers[l] = LoadLayer(load, l, config.IsMoeLayer(l) ? moeOrdinal++ : -1);
    }

    public DeepSeekConfig Config => _config;

    /// <summary>A new empty cache (latent + k_pe per layer, indexer fp8 keys + scales).</summary>
    public ReferenceKvCache NewCache() => new(_config.NumHiddenLayers, _kvLora, _rope, _config.HasIndexer ? _indexDim : 0);

    /// <summary>
    /// Runs tokens at positions startPos.. (the cache is truncated to startPos first) and returns fp32 logits
    /// [tokens.Length, vocab] for every row. Several tokens from position 0: MHA prefill with causal mask; one token:
    /// absorbed decode; several tokens after position 0: absorbed MQA over the whole cache with causal masking in the chunk.
    /// forced: per (position, layer) key sets / per (position, MoE layer) experts to use instead of the model's own;
    /// record: receives every decision made (its IndexTopk must hold the sets).
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, int startPos, ReferenceKvCache cache,
        DecisionLog? forced = null, DecisionLog? record = null, ReferenceTrace? trace = null)
    {
        var t = tokens.Length;
        if (t == 0) throw new ArgumentException("no tokens", nameof(tokens));
        if (startPos < 0 || startPos > cache.Length)
            throw new ArgumentOutOfRangeException(nameof(startPos), $"start {startPos} outside the cached 0..{cache.Length}");
        if (cache.Layers.Count != _layers.Length) throw new ArgumentException("cache belongs to another model", nameof(cache));
        cache.Truncate(startPos);
        try
        {
            return Run(tokens, startPos, cache, forced, record, trace);
        }
        catch
        {
            cache.Truncate(startPos);                                     // no half-appended layers after a failure
            throw;
        }
    }

    private float[] Run(ReadOnlySpan<int> tokens, int startPos, ReferenceKvCache cache,
        DecisionLog? forced, DecisionLog? record, ReferenceTrace? trace)
    {
        var t = tokens.Length;
        var h = new float[t * _hidden];                                   // [t, hidden] embeddings (bf16)
        for (var i = 0; i < t; i++)
        {
            if ((uint)tokens[i] >= (uint)_config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {tokens[i]}");
            Array.Copy(_embed, tokens[i] * _hidden, h, i * _hidden, _hidden);
        }
        trace?.Begin(_layers.Length, t, startPos + t, _hidden);

        float[]? residual = null;
        for (var l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var step = new Step(l, startPos, t, cache.Layers[l], forced, record, trace);
            var x = NormWithResidual(h, ref residual, layer.AttnNorm, t);
            h = Attention(layer, x, step);
            x = NormWithResidual(h, ref residual, layer.FfnNorm, t);
            h = layer.Moe is { } moe ? Moe(moe, layer.MoeOrdinal, x, step) : Mlp(layer.DenseMlp!, x, t);
            if (trace is not null)
                for (var i = 0; i < h.Length; i++) trace.LayerOut[l * t * _hidden + i] = Bf16(h[i] + residual![i]);
        }
        var final = NormWithResidual(h, ref residual, _finalNorm, t);    // [t, hidden] bf16
        if (trace is not null) Array.Copy(final, trace.FinalHidden, final.Length);

        var vocab = _config.VocabSize;
        var logits = new float[t * vocab];                               // [t, vocab] fp32 head
        for (var i = 0; i < t; i++)
            for (var v = 0; v < vocab; v++)
                logits[i * vocab + v] = Dot(final, i * _hidden, _lmHead, v * _hidden, _hidden);
        return logits;
    }

    // ---------------------------------------------------------------- attention (MLA + DSA)

    private float[] Attention(Layer w, float[] x, Step s)
    {
        int t = s.Tokens, qkDim = _nope + _rope;
        var qLatent = RmsNorm(Apply(w.QA, x, t), w.QANorm, t);          // [t, q_lora] (also the indexer's query input)
        var q = Apply(w.QB, qLatent, t);                                  // [t, heads, nope | rope]
        var kv = Apply(w.KvA, x, t);                                      // [t, kv_lora | rope]
        var latent = new float[t * _kvLora];                              // [t, kv_lora]
        for (var i = 0; i < t; i++) Array.Copy(kv, i * (_kvLora + _rope), latent, i * _kvLora, _kvLora);
        latent = RmsNorm(latent, w.KvANorm, t);

        var cos = new float[_rope / 2];
        var sin = new float[_rope / 2];
        var kPe = new float[_rope];
        for (var i = 0; i < t; i++)
        {
            YarnRope.CosSin(_invFreq, s.StartPos + i, cos, sin);
            for (var h = 0; h < _heads; h++)
                RopeInterleaved(q.AsSpan((i * _heads + h) * qkDim + _nope, _rope), cos, sin);
            kv.AsSpan(i * (_kvLora + _rope) + _kvLora, _rope).CopyTo(kPe);
            RopeInterleaved(kPe, cos, sin);
            s.Cache.Append(latent.AsSpan(i * _kvLora, _kvLora), kPe);
        }

        var selected = w.Indexer is { } indexer ? Indexer(indexer, x, qLatent, s) : AllVisible(s);   // [t, end]
        var o = s.StartPos == 0 && t > 1
            ? PrefillMha(w, q, latent, s, selected)
            : AbsorbedMqa(w, q, s, selected);                             // [t, heads * v]
        return Apply(w.O, o, t);
    }

    /// <summary>Non-absorbed MHA: k_nope, v = kv_b(latent); fp32 scores + masks, fp32 softmax, bf16 probabilities × v.</summary>
    private float[] PrefillMha(Layer w, float[] q, float[] latent, Step s, bool[] selected)
    {
        int t = s.Tokens, qkDim = _nope + _rope, kvDim = _nope + _vDim;
        var kvUp = Apply(w.KvB, latent, t);                               // [t, heads, nope | v]
        var kPe = s.Cache.KeyPe;                                          // [t, rope]
        var o = new float[t * _heads * _vDim];                            // [t, heads, v]
        var scores = new float[t];
        for (var i = 0; i < t; i++)
            for (var h = 0; h < _heads; h++)
            {
                var qRow = (i * _heads + h) * qkDim;
                for (var j = 0; j <= i; j++)
                {
                    if (!selected[i * s.End + j]) { scores[j] = float.NegativeInfinity; continue; }
                    var kRow = (j * _heads + h) * kvDim;
                    var dot = 0.0;                                        // q·[k_nope | k_pe] over 192 dims
                    for (var d = 0; d < _nope; d++) dot += (double)q[qRow + d] * kvUp[kRow + d];
                    for (var r = 0; r < _rope; r++) dot += (double)q[qRow + _nope + r] * kPe[j * _rope + r];
                    scores[j] = (float)dot * _softmaxScale;
                }
                SoftmaxToBf16(scores.AsSpan(0, i + 1));
                for (var d = 0; d < _vDim; d++)
                {
                    var sum = 0.0;
                    for (var j = 0; j <= i; j++) sum += (double)scores[j] * kvUp[(j * _heads + h) * kvDim + _nope + d];
                    o[(i * _heads + h) * _vDim + d] = Bf16((float)sum);
                }
            }
        return o;
    }

    /// <summary>
    /// Absorbed MQA over the latent cache: q_abs = bf16(q_nope·W_UK); score = (q_abs·c_kv + q_pe·k_pe)·scale in fp32;
    /// fp32 softmax, bf16 probabilities; o_lat = bf16(Σ p·c_kv); o = bf16(o_lat·W_UVᵀ). Keys after the row's position are masked.
    /// </summary>
    private float[] AbsorbedMqa(Layer w, float[] q, Step s, bool[] selected)
    {
        int t = s.Tokens, end = s.End, qkDim = _nope + _rope, kvDim = _nope + _vDim;
        var wkvb = w.KvBAbsorbed;                                         // [heads, nope | v, kv_lora] bf16
        var latent = s.Cache.Latent;                                      // [end, kv_lora]
        var kPe = s.Cache.KeyPe;                                          // [end, rope]
        var o = new float[t * _heads * _vDim];                            // [t, heads, v]
        var qAbs = new float[_kvLora];
        var oLat = new float[_kvLora];
        var scores = new float[end];
        for (var i = 0; i < t; i++)
        {
            var visible = s.StartPos + i + 1;
            for (var h = 0; h < _heads; h++)
            {
                var qRow = (i * _heads + h) * qkDim;
                for (var c = 0; c < _kvLora; c++)
                {
                    var sum = 0.0;
                    for (var d = 0; d < _nope; d++) sum += (double)q[qRow + d] * wkvb[(h * kvDim + d) * _kvLora + c];
                    qAbs[c] = Bf16((float)sum);
                }
                for (var j = 0; j < visible; j++)
                {
                    if (!selected[i * end + j]) { scores[j] = float.NegativeInfinity; continue; }
                    var latentDot = 0.0;
                    for (var c = 0; c < _kvLora; c++) latentDot += (double)qAbs[c] * latent[j * _kvLora + c];
                    var ropeDot = 0.0;
                    for (var r = 0; r < _rope; r++) ropeDot += (double)q[qRow + _nope + r] * kPe[j * _rope + r];
                    scores[j] = ((float)latentDot + (float)ropeDot) * _softmaxScale;
                }
                SoftmaxToBf16(scores.AsSpan(0, visible));
                for (var c = 0; c < _kvLora; c++)
                {
                    var sum = 0.0;
                    for (var j = 0; j < visible; j++) sum += (double)scores[j] * latent[j * _kvLora + c];
                    oLat[c] = Bf16((float)sum);
                }
                for (var d = 0; d < _vDim; d++)
                {
                    var sum = 0.0;
                    for (var c = 0; c < _kvLora; c++) sum += (double)oLat[c] * wkvb[(h * kvDim + _nope + d) * _kvLora + c];
                    o[(i * _heads + h) * _vDim + d] = Bf16((float)sum);
                }
            }
        }
        return o;
    }

    // ---------------------------------------------------------------- lightning indexer (DSA)

    /// <summary>
    /// Index scores I(t,s) = k_scale[s]·Σ_h relu(q8_h·k8_s)·w_h over fp8 codes, then top-k per row (or the forced set).
    /// Returns the selection mask [t, end]; only keys at or before the row's position are ever selected.
    /// </summary>
    private bool[] Indexer(IndexerWeights w, float[] x, float[] qLatent, Step s)
    {
        int t = s.Tokens, end = s.End, nh = _indexHeads, dim = _indexDim;
        var pow2 = _options.IndexerPowerOfTwoScales;
        var q = Apply(w.WqB, qLatent, t);                                 // [t, heads, dim] = rope | nope
        var k = LayerNorm(Apply(w.Wk, x, t), w.KNormWeight, w.KNormBias, t);   // [t, dim]
        var qCodes = new byte[t * nh * dim];                              // [t, heads, dim] e4m3
        var qScales = new float[t * nh];                                  // [t, heads] one block per head
        var cos = new float[_rope / 2];
        var sin = new float[_rope / 2];
        var kCodes = new byte[dim];
        var kScale = new float[1];
        for (var i = 0; i < t; i++)
        {
            YarnRope.CosSin(_invFreq, s.StartPos + i, cos, sin);
            for (var h = 0; h < nh; h++)
            {
                var head = q.AsSpan((i * nh + h) * dim, dim);
                RopeHalfSplit(head[.._rope], cos, sin);
                HadamardToBf16(head);
                ActQuant.QuantizeRow(head, qCodes.AsSpan((i * nh + h) * dim, dim), qScales.AsSpan(i * nh + h, 1), dim, pow2);
            }
            var key = k.AsSpan(i * dim, dim);
            RopeHalfSplit(key[.._rope], cos, sin);
            HadamardToBf16(key);
            ActQuant.QuantizeRow(key, kCodes, kScale, dim, pow2);
            s.Cache.AppendIndexKey(kCodes, kScale[0]);
        }

        var headScale = (float)Math.Pow(nh, -0.5);
        var dimScale = (float)Math.Pow(dim, -0.5);
        var weights = new float[t * nh];                                  // [t, heads] fp32
        for (var i = 0; i < t; i++)
            for (var h = 0; h < nh; h++)
                weights[i * nh + h] = Dot(x, i * _hidden, w.WeightsProj, h * _hidden, _hidden) * headScale * qScales[i * nh + h] * dimScale;

        var scores = new float[t * end];                                  // [t, end]
        for (var i = 0; i < t; i++)
        {
            var row = scores.AsSpan(i * end, end);
            Fp8Index.Scores(qCodes.AsSpan(i * nh * dim, nh * dim), weights.AsSpan(i * nh, nh),
                s.Cache.IndexKeys, s.Cache.IndexKeyScales, nh, end, row, dim);
            if (t > 1) row[(s.StartPos + i + 1)..].Fill(float.NegativeInfinity);   // causal mask, diagonal allowed
        }
        if (s.Trace is not null) s.Trace.IndexScores[s.Layer] = scores;
        return Select(scores, s);
    }

    /// <summary>Per row the forced key set, else the top min(index_topk, visible) keys by score.</summary>
    private bool[] Select(float[] scores, Step s)
    {
        int t = s.Tokens, end = s.End;
        var selected = new bool[t * end];
        for (var i = 0; i < t; i++)
        {
            var position = s.StartPos + i;
            int[] keys;
            if (s.Forced is not null && s.Forced.TryGetTopk(position, s.Layer, out var forcedKeys))
            {
                keys = forcedKeys.ToArray();
                foreach (var key in keys)
                    if ((uint)key > (uint)position) throw new ArgumentException($"forced key {key} is not visible from position {position} (layer {s.Layer})");
            }
            else
            {
                var count = (int)Math.Min(_indexTopk, (long)position + 1);
                keys = TopIndices(scores.AsSpan(i * end, position + 1), count);
            }
            foreach (var key in keys) selected[i * end + key] = true;
            s.Record?.SetTopk(position, s.Layer, keys);
        }
        return selected;
    }

    private static bool[] AllVisible(Step s)
    {
        var selected = new bool[s.Tokens * s.End];
        for (var i = 0; i < s.Tokens; i++)
            for (var j = 0; j <= s.StartPos + i; j++) selected[i * s.End + j] = true;
        return selected;
    }

    // ---------------------------------------------------------------- feed-forward

    /// <summary>SwiGLU: down(bf16(silu(fp32 gate(x)) · fp32 up(x))) → bf16.</summary>
    private float[] Mlp(MlpWeights w, float[] x, int t)
    {
        var gate = Apply(w.Gate, x, t);                                   // [t, inner]
        var up = Apply(w.Up, x, t);                                       // [t, inner]
        var mid = new float[gate.Length];
        for (var i = 0; i < mid.Length; i++) mid[i] = Bf16(Silu(gate[i]) * up[i]);
        return Apply(w.Down, mid, t);                                     // [t, hidden]
    }

    /// <summary>
    /// MoE: fp32 router (sigmoid, bias-corrected group-limited top-k), weights = normalised unbiased sigmoid × scale;
    /// y = Σ_e (ascending id) expert_e(x)·w_e + shared(x) in fp32, one cast to bf16.
    /// </summary>
    private float[] Moe(MoeWeights w, int moeOrdinal, float[] x, Step s)
    {
        var experts = _config.NRoutedExperts;
        var routeScale = (float)_config.RoutedScalingFactor;
        var y = new float[s.Tokens * _hidden];                            // [t, hidden]
        var sigmoid = new float[experts];
        var acc = new float[_hidden];
        for (var i = 0; i < s.Tokens; i++)
        {
            var position = s.StartPos + i;
            for (var e = 0; e < experts; e++) sigmoid[e] = Sigmoid(Dot(x, i * _hidden, w.Router, e * _hidden, _hidden));
            var picked = s.Forced is not null && s.Forced.TryGetRouting(position, moeOrdinal, out var forcedExperts)
                ? forcedExperts.ToArray()
                : Route(sigmoid, w.RouterBias);                           // descending biased score
            s.Record?.SetRouting(position, moeOrdinal, picked);

            var total = 0f;
            foreach (var e in picked) total += sigmoid[e];
            var row = x.AsSpan(i * _hidden, _hidden).ToArray();            // [1, hidden]
            Array.Clear(acc);
            foreach (var e in picked.Order())
            {
                var weight = sigmoid[e] / total * routeScale;
                var expertOut = Mlp(w.Experts[e], row, 1);
                for (var c = 0; c < _hidden; c++) acc[c] += expertOut[c] * weight;
            }
            var shared = Mlp(w.Shared, row, 1);
            for (var c = 0; c < _hidden; c++) y[i * _hidden + c] = Bf16(acc[c] + shared[c]);
        }
        return y;
    }

    /// <summary>noaux_tc: groups scored by the sum of their top-2 biased scores, keep topk_group groups, top-k experts.</summary>
    private int[] Route(float[] sigmoid, float[] bias)
    {
        var experts = sigmoid.Length;
        var biased = new float[experts];
        for (var e = 0; e < experts; e++) biased[e] = sigmoid[e] + bias[e];
        var groups = _config.NGroup;
        if (groups > 1)
        {
            var perGroup = experts / groups;
            var groupScores = new float[groups];
            for (var g = 0; g < groups; g++)
            {
                var top2 = TopIndices(biased.AsSpan(g * perGroup, perGroup), Math.Min(2, perGroup));
                foreach (var e in top2) groupScores[g] += biased[g * perGroup + e];
            }
            var kept = TopIndices(groupScores, _config.TopkGroup);
            for (var g = 0; g < groups; g++)
                if (Array.IndexOf(kept, g) < 0) biased.AsSpan(g * perGroup, perGroup).Fill(float.NegativeInfinity);
        }
        return TopIndicesByScore(biased, _config.NumExpertsPerTok);
    }

    // ---------------------------------------------------------------- primitives

    /// <summary>y = x·Wᵀ, x: [t, in] → [t, out] bf16. bf16 weight: exact-sum dot; fp8 weight: act_quant + block GEMM.</summary>
    private float[] Apply(Linear w, float[] x, int t)
    {
        var y = new float[t * w.Out];
        if (w.Codes is null)
        {
            for (var i = 0; i < t; i++)
                for (var o = 0; o < w.Out; o++)
                    y[i * w.Out + o] = Bf16(Dot(x, i * w.In, w.Values!, o * w.In, w.In));
            return y;
        }
        var blocks = (w.In + QuantBlock - 1) / QuantBlock;
        var codes = new byte[t * w.In];                                   // [t, in] e4m3
        var scales = new float[t * blocks];                               // [t, in / 128]
        ActQuant.Quantize(x, t, w.In, codes, scales, QuantBlock, _activationPow2);
        Fp8BlockGemm.Multiply(codes, scales, t, w.In, w.Codes, w.ScaleInv!, w.Out, y, QuantBlock);
        for (var i = 0; i < y.Length; i++) y[i] = Bf16(y[i]);
        return y;
    }

    /// <summary>Residual-fused RMSNorm: first call residual = h, later residual = bf16(h + residual) and the fp32 sum is normalised.</summary>
    private float[] NormWithResidual(float[] h, ref float[]? residual, float[] weight, int t)
    {
        if (residual is null)
        {
            residual = (float[])h.Clone();
            return RmsNorm(h, weight, t);
        }
        var sum = new float[h.Length];                                    // fp32
        for (var i = 0; i < h.Length; i++) sum[i] = h[i] + residual[i];
        residual = new float[h.Length];
        for (var i = 0; i < h.Length; i++) residual[i] = Bf16(sum[i]);
        return RmsNorm(sum, weight, t);
    }

    /// <summary>x: [t, n] → bf16(w · (x · rsqrt(mean(x²) + eps))), fp32 math (the mean from an exact sum).</summary>
    private float[] RmsNorm(float[] x, float[] weight, int t)
    {
        var n = weight.Length;
        var y = new float[t * n];
        for (var i = 0; i < t; i++)
        {
            var sumSq = 0.0;
            for (var c = 0; c < n; c++) sumSq += (double)x[i * n + c] * x[i * n + c];
            var rstd = 1f / MathF.Sqrt((float)(sumSq / n) + _eps);
            for (var c = 0; c < n; c++) y[i * n + c] = Bf16(weight[c] * (x[i * n + c] * rstd));
        }
        return y;
    }

    /// <summary>Indexer k_norm: LayerNorm with weight and bias (biased variance), fp32 math, bf16 out.</summary>
    private float[] LayerNorm(float[] x, float[] weight, float[] bias, int t)
    {
        var n = weight.Length;
        var y = new float[t * n];
        for (var i = 0; i < t; i++)
        {
            var sum = 0.0;
            for (var c = 0; c < n; c++) sum += x[i * n + c];
            var mean = (float)(sum / n);
            var sumSq = 0.0;
            for (var c = 0; c < n; c++) sumSq += (double)(x[i * n + c] - mean) * (x[i * n + c] - mean);
            var variance = (float)(sumSq / n);
            var rstd = 1f / MathF.Sqrt(variance + _eps);
            for (var c = 0; c < n; c++) y[i * n + c] = Bf16((x[i * n + c] - mean) * rstd * weight[c] + bias[c]);
        }
        return y;
    }

    /// <summary>MLA RoPE: pairs (2i, 2i+1) rotated by angle i, fp32 math, bf16 out.</summary>
    private static void RopeInterleaved(Span<float> v, float[] cos, float[] sin)
    {
        for (var i = 0; i < cos.Length; i++)
        {
            float a = v[2 * i], b = v[2 * i + 1];
            v[2 * i] = Bf16(a * cos[i] - b * sin[i]);
            v[2 * i + 1] = Bf16(a * sin[i] + b * cos[i]);
        }
    }

    /// <summary>Indexer RoPE (NeoX half-split): pairs (i, i + n/2) rotated by angle i, fp32 math, bf16 out.</summary>
    private static void RopeHalfSplit(Span<float> v, float[] cos, float[] sin)
    {
        var half = cos.Length;
        for (var i = 0; i < half; i++)
        {
            float a = v[i], b = v[i + half];
            v[i] = Bf16(a * cos[i] - b * sin[i]);
            v[i + half] = Bf16(a * sin[i] + b * cos[i]);
        }
    }

    /// <summary>Orthonormal Walsh–Hadamard rotation in fp32, bf16 out.</summary>
    private static void HadamardToBf16(Span<float> v)
    {
        Hadamard.TransformInPlace(v);
        for (var i = 0; i < v.Length; i++) v[i] = Bf16(v[i]);
    }

    /// <summary>fp32 softmax in place (masked entries are -inf), then the probabilities rounded to bf16.</summary>
    private static void SoftmaxToBf16(Span<float> x)
    {
        var max = float.NegativeInfinity;
        foreach (var v in x) max = MathF.Max(max, v);
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++) { x[i] = MathF.Exp(x[i] - max); sum += x[i]; }
        for (var i = 0; i < x.Length; i++) x[i] = Bf16(x[i] / (float)sum);
    }

    /// <summary>Dot product of a[aOffset..] and b[bOffset..] over n values, summed in double, rounded once to fp32.</summary>
    private static float Dot(float[] a, int aOffset, float[] b, int bOffset, int n)
    {
        var sum = 0.0;
        for (var k = 0; k < n; k++) sum += (double)a[aOffset + k] * b[bOffset + k];
        return (float)sum;
    }

    /// <summary>Indices of the count largest values (ties: lower index first), sorted ascending.</summary>
    private static int[] TopIndices(ReadOnlySpan<float> values, int count)
    {
        var picked = TopIndicesByScore(values, count);
        Array.Sort(picked);
        return picked;
    }

    /// <summary>Indices of the count largest values, largest first (ties: lower index first).</summary>
    private static int[] TopIndicesByScore(ReadOnlySpan<float> values, int count)
    {
        var order = new int[values.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var keys = values.ToArray();
        Array.Sort(order, (p, r) => keys[p] != keys[r] ? keys[r].CompareTo(keys[p]) : p.CompareTo(r));
        return order[..count];
    }

    private static float Silu(float v) => v / (1f + MathF.Exp(-v));

    private static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    private static float Bf16(float v) => BFloat16Math.Round(v);

    // ---------------------------------------------------------------- weights

    private Layer LoadLayer(WeightReader load, int l, int moeOrdinal)
    {
        var p = $"model.layers.{l}.";
        var a = p + "self_attn.";
        var kvB = load.Linear(a + "kv_b_proj");
        var layer = new Layer
        {
            AttnNorm = load.Values(p + "input_layernorm.weight"),
            FfnNorm = load.Values(p + "post_attention_layernorm.weight"),
            QA = load.Linear(a + "q_a_proj"),
            QANorm = load.Values(a + "q_a_layernorm.weight"),
            QB = load.Linear(a + "q_b_proj"),
            KvA = load.Linear(a + "kv_a_proj_with_mqa"),
            KvANorm = load.Values(a + "kv_a_layernorm.weight"),
            KvB = kvB,
            KvBAbsorbed = kvB.BFloat16Values(),
            O = load.Linear(a + "o_proj"),
            MoeOrdinal = moeOrdinal,
        };
        if (_config.HasIndexer)
        {
            layer.Indexer = new IndexerWeights
            {
                WqB = load.Linear(a + "indexer.wq_b"),
                Wk = load.Linear(a + "indexer.wk"),
                KNormWeight = load.Values(a + "indexer.k_norm.weight"),
                KNormBias = load.Values(a + "indexer.k_norm.bias"),
                WeightsProj = load.Values(a + "indexer.weights_proj.weight"),
            };
        }
        if (moeOrdinal < 0)
        {
            layer.DenseMlp = load.Mlp(p + "mlp.");
            return layer;
        }
        layer.Moe = new MoeWeights
        {
            Router = load.Values(p + "mlp.gate.weight"),
            RouterBias = load.Values(p + "mlp.gate.e_score_correction_bias"),
            Experts = Enumerable.Range(0, _config.NRoutedExperts).Select(e => load.Mlp($"{p}mlp.experts.{e}.")).ToArray(),
            Shared = load.Mlp(p + "mlp.shared_experts."),
        };
        return layer;
    }

    /// <summary>One step of the layer loop: which rows run, where their decisions come from and go.</summary>
    private sealed record Step(int Layer, int StartPos, int Tokens, ReferenceLayerCache Cache,
        DecisionLog? Forced, DecisionLog? Record, ReferenceTrace? Trace)
    {
        public int End => StartPos + Tokens;
    }

    /// <summary>A weight matrix [out, in]: bf16 values as fp32, or fp8 e4m3 codes with [⌈out/128⌉, ⌈in/128⌉] block scales.</summary>
    private sealed class Linear
    {
        public required int Out { get; init; }
        public required int In { get; init; }
        public float[]? Values { get; init; }
        public byte[]? Codes { get; init; }
        public float[]? ScaleInv { get; init; }

        /// <summary>The bf16 weight the absorbed decode uses (weight_dequant of fp8, else the bf16 weight itself).</summary>
        public float[] BFloat16Values()
        {
            if (Codes is null) return Values!;
            var w = new float[Out * In];
            WeightDequant.DequantizeToBf16(Codes, ScaleInv!, Out, In, w, QuantBlock);
            return w;
        }
    }

    private sealed class MlpWeights
    {
        public required Linear Gate { get; init; }
        public required Linear Up { get; init; }
        public required Linear Down { get; init; }
    }

    private sealed class MoeWeights
    {
        public required float[] Router { get; init; }                    // [experts, hidden] fp32
        public required float[] RouterBias { get; init; }                // [experts] fp32
        public required MlpWeights[] Experts { get; init; }
        public required MlpWeights Shared { get; init; }
    }

    private sealed class IndexerWeights
    {
        public required Linear WqB { get; init; }                        // [heads * dim, q_lora]
        public required Linear Wk { get; init; }                         // [dim, hidden]
        public required float[] KNormWeight { get; init; }
        public required float[] KNormBias { get; init; }
        public required float[] WeightsProj { get; init; }               // [heads, hidden] fp32
    }

    private sealed class Layer
    {
        public required float[] AttnNorm { get; init; }
        public required float[] FfnNorm { get; init; }
        public required Linear QA { get; init; }
        public required float[] QANorm { get; init; }
        public required Linear QB { get; init; }
        public required Linear KvA { get; init; }
        public required float[] KvANorm { get; init; }
        public required Linear KvB { get; init; }
        public required float[] KvBAbsorbed { get; init; }               // [heads, nope + v, kv_lora] bf16
        public required Linear O { get; init; }
        public required int MoeOrdinal { get; init; }
        public IndexerWeights? Indexer { get; set; }
        public MlpWeights? DenseMlp { get; set; }
        public MoeWeights? Moe { get; set; }
    }

    /// <summary>Reads checkpoint tensors into fp32 arrays (bf16/f32 values, fp8 codes kept as codes).</summary>
    private sealed class WeightReader(SafetensorsCheckpoint checkpoint)
    {
        public float[] Values(string name)
        {
            var info = checkpoint.GetInfo(name);
            return info.DType switch
            {
                DType.BF16 => ToFloats(checkpoint.GetSpan<ushort>(name)),
                DType.F32 => checkpoint.GetSpan<float>(name).ToArray(),
                _ => throw new NotSupportedException($"{name}: dtype {info.DType} is not supported here (expected BF16 or F32)"),
            };
        }

        public Linear Linear(string prefix)
        {
            var name = prefix + ".weight";
            var info = checkpoint.GetInfo(name);
            if (info.Shape.Length != 2) throw new NotSupportedException($"{name}: expected a matrix, got {info.ShapeText}");
            int rows = (int)info.Shape[0], cols = (int)info.Shape[1];
            if (info.DType != DType.F8E4M3) return new Linear { Out = rows, In = cols, Values = Values(name) };

            var scaleName = name + "_scale_inv";
            var scaleShape = checkpoint.GetInfo(scaleName).Shape;
            long expectRows = (rows + QuantBlock - 1) / QuantBlock, expectCols = (cols + QuantBlock - 1) / QuantBlock;
            if (scaleShape.Length != 2 || scaleShape[0] != expectRows || scaleShape[1] != expectCols)
                throw new NotSupportedException($"{scaleName}: expected [{expectRows}, {expectCols}], got {checkpoint.GetInfo(scaleName).ShapeText}");
            return new Linear
            {
                Out = rows, In = cols,
                Codes = checkpoint.GetSpan<byte>(name).ToArray(),
                ScaleInv = checkpoint.GetSpan<float>(scaleName).ToArray(),
            };
        }

        public MlpWeights Mlp(string prefix) => new()
        {
            Gate = Linear(prefix + "gate_proj"),
            Up = Linear(prefix + "up_proj"),
            Down = Linear(prefix + "down_proj"),
        };

        private static float[] ToFloats(ReadOnlySpan<ushort> bits)
        {
            var values = new float[bits.Length];
            for (var i = 0; i < bits.Length; i++) values[i] = BFloat16Math.ToFloat(bits[i]);
            return values;
        }
    }
}
