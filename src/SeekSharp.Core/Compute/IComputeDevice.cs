using SeekSharp.Core.Backend;

namespace SeekSharp.Core.Compute;

/// <summary>
/// Everything the DeepSeek-V3.2 forward pass computes, as ops over device-resident buffers. The model is written
/// against this contract only; <see cref="HostDevice"/> (CPU) and the CUDA device implement it, and the op tests
/// run both against the same C# reference.
///
/// Conventions. Activations are F32 buffers holding bf16-representable values: every op that the reference ends
/// in bf16 rounds its result to bf16 (round-to-nearest-even) and says so. Index buffers are I32. Ops run in issue
/// order on the device's stream; <see cref="Download{T}"/> waits for earlier ops. Shapes are in elements.
/// </summary>
public interface IComputeDevice : IDisposable
{
    /// <summary>Short name for logs and benchmark tables ("cpu", "cuda:0 NVIDIA H200").</summary>
    string Name { get; }

    // ---- memory ----

    /// <summary>A zero-filled buffer of <paramref name="length"/> elements.</summary>
    DeviceBuffer Allocate(DType dtype, long length);

    /// <summary>Copies host values into destination[offset ..]. T's size must equal the buffer's element size.</summary>
    void Upload<T>(ReadOnlySpan<T> source, DeviceBuffer destination, long offset = 0) where T : unmanaged;

    /// <summary>Copies source[offset .. offset + destination.Length] to the host, after every earlier op finished.</summary>
    void Download<T>(DeviceBuffer source, long offset, Span<T> destination) where T : unmanaged;

    /// <summary>destination[dOffset + i] = source[sOffset + i] for i &lt; count (same dtype).</summary>
    void Copy(DeviceBuffer source, long sourceOffset, DeviceBuffer destination, long destinationOffset, long count);

    /// <summary>
    /// destination row r = source row r for r &lt; source.Rows (same shape, same dtype, strided views). The default
    /// issues one <see cref="Copy"/> per row; devices override it with a single strided copy.
    /// </summary>
    void CopyRows(MatrixView source, MatrixView destination)
    {
        source.Validate("copy_rows source");
        destination.Validate("copy_rows destination");
        if (source.Rows != destination.Rows || source.Cols != destination.Cols)
            throw new ArgumentException($"copy_rows: source [{source.Rows}, {source.Cols}] and destination [{destination.Rows}, {destination.Cols}] differ");
        for (var r = 0; r < source.Rows; r++)
            Copy(source.Buffer, source.Offset + (long)r * source.Stride, destination.Buffer, destination.Offset + (long)r * destination.Stride, source.Cols);
    }

    /// <summary>
    /// How this device keeps resident tensors whose values are bf16: the MLA latent and rope-key cache rows and the
    /// dequantised wkv_b of the absorbed form. F32 (the host's arrays) or BF16 (the same values in half the bytes). The
    /// model allocates and uploads them so; <see cref="WriteRowsPaged"/> rounds F32 rows into a BF16 cache and the
    /// absorbed MLA ops read either.
    /// </summary>
    DType Bf16StorageType => DType.F32;

    /// <summary>Makes a host weight resident on the device (FP8 codes + fp32 block scales stay FP8).</summary>
    DeviceLinear UploadLinear(LinearWeight weight);

    /// <summary>Waits until every op issued so far has finished.</summary>
    void Synchronize();

    // ---- dense ops ----

    /// <summary>output[i, :] = fp32(table[ids[i], :]) for i &lt; count; table is BF16 or F32 [vocab, width]. Ids out of range throw.</summary>
    void Embed(DeviceLinear table, DeviceBuffer ids, int count, DeviceBuffer output);

    /// <summary>
    /// y = x · Wᵀ, x [rows, In], y [rows, Out], fp32 accumulation, rounded to bf16 when <paramref name="roundToBf16"/>.
    /// F8E4M3 weights: each x row is act-quantised per 128 columns (ue8m0 power-of-two scales when
    /// <paramref name="powerOfTwoScales"/>), then per 128-wide K block partial = Σ a8·w8 in fp32 and
    /// y += partial · aScale[kb] · ScaleInv[n/128, kb] (the reference fp8_gemm). BF16/F32 weights: y = Σ x·fp32(w).
    /// </summary>
    void Linear(DeviceLinear weight, MatrixView x, MatrixView y, bool roundToBf16, bool powerOfTwoScales);

    /// <summary>
    /// Fused residual + RMSNorm over [rows, width] (all three buffers dense). hasResidual false (first layer):
    /// residual ← h; y ← bf16(w · h·rsqrt(mean(h²)+eps)). Else s = h + residual in fp32; y from the unrounded s;
    /// residual ← bf16(s).
    /// </summary>
    void AddRmsNorm(DeviceBuffer h, DeviceBuffer residual, bool hasResidual, DeviceBuffer weight, float eps, DeviceBuffer y, int rows, int width);

    /// <summary>y = bf16(w · x·rsqrt(mean(x²)+eps)) per row; x and y may be the same view. Width = weight length = x.Cols.</summary>
    void RmsNorm(MatrixView x, DeviceBuffer weight, float eps, MatrixView y);

    /// <summary>In place per row: bf16((x-mean)·rsqrt(var+eps)·w + b), biased variance, fp32 math.</summary>
    void LayerNorm(MatrixView x, DeviceBuffer weight, DeviceBuffer bias, float eps);

    /// <summary>
    /// In place rotary embedding of each row of x (x.Cols = rotary dim), row r at position startPos + r / rowsPerPosition;
    /// cos/sin are F32 [positions, rotary/2]. Interleaved rotates pairs (2i, 2i+1), HalfSplit pairs (i, i+half).
    /// fp32 math, bf16 result.
    /// </summary>
    void Rope(MatrixView x, int rowsPerPosition, int startPos, DeviceBuffer cos, DeviceBuffer sin, RopeLayout layout);

    /// <summary>In place per row: bf16(H·x · n^-½), the fast Walsh–Hadamard transform (x.Cols a power of two).</summary>
    void HadamardRound(MatrixView x);

    /// <summary>
    /// Per row of x and per 128-column block: scale = amax/448 (rounded up to a power of two when
    /// <paramref name="powerOfTwo"/>, amax floored as the reference), codes = e4m3(x/scale) with RNE and ±448 saturation.
    /// codes: U8 dense [x.Rows, x.Cols] at codesOffset; scales: F32 dense [x.Rows, ceil(x.Cols/128)] at scalesOffset.
    /// </summary>
    void ActQuant(MatrixView x, DeviceBuffer codes, long codesOffset, DeviceBuffer scales, long scalesOffset, bool powerOfTwo);

    /// <summary>
    /// In place per row and 128-column block: x = bf16(e4m3(x/s) · s), s the block's <see cref="ActQuant"/> scale (a power
    /// of two when <paramref name="powerOfTwo"/>): the Dec-2025 reference's FP8 fake quantisation of the MLA latent.
    /// </summary>
    void FakeQuantize(MatrixView x, bool powerOfTwo) => PagedFallback.FakeQuantize(this, x, powerOfTwo);

    /// <summary>weights[i] = ((weights[i] · headScale) · qScales[i]) · dimScale for i &lt; count (the indexer's per-head weights).</summary>
    void ScaleIndexerWeights(DeviceBuffer weights, DeviceBuffer qScales, int count, float headScale, float dimScale);

    /// <summary>
    /// The lightning indexer's fp8_index for queries at positions startPos + i (i &lt; tokens):
    /// scores[i, s] = keyScales[s] · Σ_h max(0, Σ_d q8[i,h,d]·keys[s,d]) · weights[i,h] for s ≤ startPos+i, -inf above.
    /// q8: U8 e4m3 [tokens, heads, dim]; weights F32 [tokens, heads]; keys U8 [≥ end, dim]; keyScales F32 [≥ end];
    /// scores F32 [tokens, end] with end = startPos + tokens.
    /// </summary>
    void IndexScores(DeviceBuffer q8, DeviceBuffer weights, DeviceBuffer keys, DeviceBuffer keyScales,
        int tokens, int startPos, int heads, int dim, DeviceBuffer scores);

    /// <summary>
    /// Per row i of scores [tokens, end]: the indices of the min(k, startPos+i+1) largest visible scores (ties: lower index
    /// first), sorted ascending, then -1 up to k. indices: I32 [tokens, k].
    /// </summary>
    void TopK(DeviceBuffer scores, int tokens, int startPos, int k, DeviceBuffer indices);

    // ---- attention ----

    /// <summary>
    /// MLA prefill in MHA form for a prompt at positions 0..tokens-1. q [tokens, heads, nope+rope] (rope part rotated);
    /// kvb [tokens, heads, nope+v] = kv_b(latent); ropeKeys [≥ tokens, rope]; indices I32 [tokens, indexWidth]
    /// (-1 = unused) or null for all keys 0..i. Per (i, head): s_j = (q_nope·k_nope_j + q_pe·k_pe_j)·scale in fp32,
    /// p = bf16(softmax(s)), output[i, head, :] = bf16(Σ_j p_j · v_j). output F32 [tokens, heads, v].
    /// <para>
    /// lse (optional; null: not computed, and nothing else changes): F32 [tokens, heads], lse[i, head] = ln Σ_j exp(s_j)
    /// in fp32 over the keys row i attends, with the same scaled, masked scores s_j as the softmax (-1 slots excluded);
    /// -inf for a row with no key. That is FlashAttention's and FlashMLA's decode softmax_lse (natural log, softmax scale
    /// included), except that they write +inf for a row with no key; FlashMLA's first sparse-prefill release returned
    /// base-2 values, lse · log2(e). Parts over disjoint key sets of one row (context parallelism) merge as
    /// lse = ln Σ_part exp(lse_part), output = Σ_part exp(lse_part − lse) · output_part (a part at -inf weighs 0; a row
    /// whose parts are all -inf is zeros): exact in real numbers, here within the bf16 roundings of p and the outputs.
    /// </para>
    /// </summary>
    void MlaPrefill(DeviceBuffer q, DeviceBuffer kvb, DeviceBuffer ropeKeys, DeviceBuffer? indices, int indexWidth,
        int tokens, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null);

    /// <summary>
    /// MLA in absorbed form for queries at positions startPos + i over the latent cache. wkvb [heads, nope+v, kvLora],
    /// latent [≥ end, kvLora] and ropeKeys [≥ end, rope] hold bf16 values, as F32 or as <see cref="Bf16StorageType"/>;
    /// indices as in <see cref="MlaPrefill"/> (null: keys 0..startPos+i). Per (i, head): q̂ = bf16(W_UKᵀ q_nope); s_j = (q̂·latent_j + q_pe·k_pe_j)·scale; p = bf16(softmax(s));
    /// o_lat = bf16(Σ p_j latent_j); output[i, head, d] = bf16(W_UV[d] · o_lat). lse: optional F32 [tokens, heads], the
    /// log-sum-exp of the s_j above, as in <see cref="MlaPrefill"/> (null: not computed).
    /// </summary>
    void MlaAbsorbed(DeviceBuffer q, DeviceBuffer wkvb, DeviceBuffer latent, DeviceBuffer ropeKeys, DeviceBuffer? indices,
        int indexWidth, int tokens, int startPos, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null);

    // ---- paged: rows of several sequences over a shared block pool in one call (see PagedRows) ----

    /// <summary>
    /// <see cref="IndexScores"/> for paged rows: scores[i, s] = keyScales[r]·Σ_h max(0, q8[i,h]·keys[r])·weights[i,h] with
    /// r = rows.PoolRow(seq_i, s) for s ≤ pos_i, -inf for pos_i &lt; s &lt; rows.MaxEnd. q8 U8 [Rows, heads, dim]; weights F32
    /// [Rows, heads]; keyPool U8 [poolRows, dim]; scalePool F32 [poolRows]; scores F32 [Rows, MaxEnd].
    /// </summary>
    void IndexScoresPaged(DeviceBuffer q8, DeviceBuffer weights, DeviceBuffer keyPool, DeviceBuffer scalePool, PagedRows rows,
        int heads, int dim, DeviceBuffer scores) =>
        PagedFallback.IndexScores(this, q8, weights, keyPool, scalePool, rows, heads, dim, scores);

    /// <summary>
    /// <see cref="TopK"/> for paged rows: row i of scores [Rows, MaxEnd] has pos_i + 1 visible candidates; indices I32
    /// [Rows, k] are positions in the row's sequence, sorted ascending, -1 padded.
    /// </summary>
    void TopKPaged(DeviceBuffer scores, PagedRows rows, int k, DeviceBuffer indices) =>
        PagedFallback.TopK(this, scores, rows, k, indices);

    /// <summary>
    /// <see cref="MlaAbsorbed"/> for paged rows: q [Rows, heads, nope+rope]; latentPool [poolRows, kvLora] and ropePool
    /// [poolRows, rope] (as in MlaAbsorbed), or latentPool U8 [poolRows, Fp8LatentRow.Bytes(kvLora)] of FP8 rows (see
    /// <see cref="WriteLatentFp8Paged"/>; their values are used exactly); indices I32 [Rows, indexWidth] are positions in each row's sequence
    /// (-1 = unused), or null for every position 0..pos_i; output F32 [Rows, heads, v]; lse: optional F32 [Rows, heads],
    /// each row's log-sum-exp as in <see cref="MlaPrefill"/> (null: not computed).
    /// </summary>
    void MlaAbsorbedPaged(DeviceBuffer q, DeviceBuffer wkvb, DeviceBuffer latentPool, DeviceBuffer ropePool, DeviceBuffer? indices,
        int indexWidth, PagedRows rows, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null) =>
        PagedFallback.MlaAbsorbed(this, q, wkvb, latentPool, ropePool, indices, indexWidth, rows, shape, output, lse);

    /// <summary>
    /// <see cref="Rope"/> with a position per row group: row r of x is at position positions[r / rowsPerPosition]
    /// (positions I32 [x.Rows / rowsPerPosition]), so rows of several sequences rotate in one call.
    /// </summary>
    void RopeAt(MatrixView x, int rowsPerPosition, DeviceBuffer positions, DeviceBuffer cos, DeviceBuffer sin, RopeLayout layout) =>
        PagedFallback.RopeAt(this, x, rowsPerPosition, positions, cos, sin, layout);

    /// <summary>
    /// pool[rows.PoolRow(seq_i, pos_i), :] = source row i for i &lt; Rows; pool dense [poolRows, source.Cols], same dtype, or
    /// BF16 for an F32 source where <see cref="Bf16StorageType"/> is BF16 (rounded to nearest even).
    /// </summary>
    void WriteRowsPaged(MatrixView source, DeviceBuffer pool, PagedRows rows) => PagedFallback.WriteRows(this, source, pool, rows);

    /// <summary>
    /// FP8 latent rows: pool row rows.PoolRow(seq_i, pos_i) = <see cref="Numerics.Fp8LatentRow"/> encoding of source row i
    /// (e4m3 codes, then one power-of-two fp32 scale per 128 values); pool U8 [poolRows, Fp8LatentRow.Bytes(source.Cols)].
    /// </summary>
    void WriteLatentFp8Paged(MatrixView source, DeviceBuffer pool, PagedRows rows) => PagedFallback.WriteLatentFp8(this, source, pool, rows);

    // ---- MoE ----

    /// <summary>
    /// Router for [tokens] rows of fp32 logits [tokens, experts]: sigmoid; biased = sigmoid + bias; unless row i of
    /// <paramref name="forced"/> (I32 [tokens, perToken]) starts with a non-negative id, pick group-limited top-k on biased
    /// (group score = sum of its top-2, keep topkGroups groups, ties to the lower index); ids sorted ascending into
    /// ids I32 [tokens, perToken]; weights F32 [tokens, perToken] = sigmoid of the picked, divided by their sum when
    /// Normalize, × Scale.
    /// </summary>
    void MoeRoute(DeviceBuffer logits, DeviceBuffer bias, int tokens, MoeRouting routing, DeviceBuffer? forced,
        DeviceBuffer ids, DeviceBuffer weights);

    /// <summary>output[r, :] = x[rows[rowsOffset + r], :] for r &lt; count; x and output F32 with <paramref name="width"/> columns.</summary>
    void GatherRows(DeviceBuffer x, DeviceBuffer rows, int rowsOffset, int count, int width, DeviceBuffer output);

    /// <summary>sum[rows[rowsOffset + r], :] += y[r, :] · scales[rowsOffset + r] in fp32, r in order (deterministic).</summary>
    void ScatterAddScaled(DeviceBuffer y, DeviceBuffer rows, DeviceBuffer scales, int rowsOffset, int count, int width, DeviceBuffer sum);

    /// <summary>
    /// The routed experts of a MoE layer prepared for <see cref="MoeExperts"/>, or null when this device runs experts one
    /// at a time through <see cref="Linear"/> (the model then loops over them itself). gate[e], up[e] are [inner, hidden],
    /// down[e] [hidden, inner].
    /// </summary>
    GroupedExperts? GroupExperts(IReadOnlyList<DeviceLinear> gate, IReadOnlyList<DeviceLinear> up, IReadOnlyList<DeviceLinear> down) => null;

    /// <summary>
    /// Every routed expert of a MoE layer in one call, with no host round trip. x F32 [tokens, hidden] (bf16 values); ids
    /// I32 and weights F32 [tokens, perToken] as <see cref="MoeRoute"/> writes them (ids ascending per row). For token i:
    /// sum[i, :] = Σ_j, j ascending, of E_ids[i,j](x_i) · weights[i, j] in fp32 from 0, multiply and add rounded
    /// separately (the reference's expert loop), where E(x) = down(bf16(silu(gate(x)) · up(x))) and each linear is
    /// <see cref="Linear"/>'s FP8 product rounded to bf16. sum F32 [tokens, hidden] is overwritten.
    /// </summary>
    void MoeExperts(DeviceBuffer x, int tokens, DeviceBuffer ids, DeviceBuffer weights, int perToken, GroupedExperts experts,
        bool powerOfTwoScales, DeviceBuffer sum) =>
        throw new NotSupportedException($"moe_experts: {Name} runs experts one at a time (GroupExperts returned null)");

    /// <summary>gate[i] = bf16(silu(gate[i]) · up[i]) for i &lt; count, silu(g) = g / (1 + e^-g) in fp32.</summary>
    void SiluMul(DeviceBuffer gate, DeviceBuffer up, int count);

    /// <summary>output[i] = bf16(a[i] + b[i]) for i &lt; count (output may alias a or b).</summary>
    void AddRound(DeviceBuffer a, DeviceBuffer b, DeviceBuffer output, int count);

    // ---- sampling ----

    /// <summary>ids[r] = argmax of logits [rows, vocab] row r (lowest index on ties).</summary>
    void ArgMax(DeviceBuffer logits, int rows, int vocab, DeviceBuffer ids);

    /// <summary>
    /// ids[r] = a token drawn from row r of logits [rows, vocab] (finite values) under settings[r]. Temperature 0: the
    /// argmax. Else weights e_i = <see cref="Numerics.SamplingMath.Exp"/>(l_i/T − max_j l_j/T) (fp32); tokens ordered by
    /// e descending, then index ascending; keep the first n = min(TopK or vocab, the smallest r whose running double sum
    /// of e reaches TopP · Σe); draw argmax over kept i with e_i &gt; 0 of e_i / <see cref="Numerics.SamplingMath.NegLog"/>(
    /// <see cref="Numerics.SamplingMath.Uniform"/>(Seed, Counter, i)) in double (the exponential race: token i wins with
    /// probability e_i / Σ kept e), ties to the lower index; if no token has weight, the argmax. The same settings draw the
    /// same token on every device (Σe may round differently; only a mass exactly at the TopP boundary can tell).
    /// </summary>
    void SampleRows(DeviceBuffer logits, int rows, int vocab, ReadOnlySpan<RowSampling> settings, DeviceBuffer ids);
}

/// <summary>Pairing of rotary dimensions.</summary>
public enum RopeLayout
{
    /// <summary>Pairs (2i, 2i+1): MLA q_pe and k_pe.</summary>
    Interleaved,

    /// <summary>Pairs (i, i + dim/2): the indexer's q and k.</summary>
    HalfSplit,
}
