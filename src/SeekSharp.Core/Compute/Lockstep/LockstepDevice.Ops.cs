namespace SeekSharp.Core.Compute.Lockstep;

public sealed partial class LockstepDevice
{
    public void Embed(DeviceLinear table, DeviceBuffer ids, int count, DeviceBuffer output)
    {
        reference.Embed(R(table), R(ids), count, R(output));
        candidate.Embed(C(table), C(ids), count, C(output));
        Compare("embed", (nameof(output), output));
    }

    public void Linear(DeviceLinear weight, MatrixView x, MatrixView y, bool roundToBf16, bool powerOfTwoScales)
    {
        reference.Linear(R(weight), R(x), R(y), roundToBf16, powerOfTwoScales);
        candidate.Linear(C(weight), C(x), C(y), roundToBf16, powerOfTwoScales);
        Compare(roundToBf16 ? $"linear {weight.Name}" : $"linear(fp32) {weight.Name}", (nameof(y), y.Buffer));
    }

    public void AddRmsNorm(DeviceBuffer h, DeviceBuffer residual, bool hasResidual, DeviceBuffer weight, float eps, DeviceBuffer y, int rows, int width)
    {
        reference.AddRmsNorm(R(h), R(residual), hasResidual, R(weight), eps, R(y), rows, width);
        candidate.AddRmsNorm(C(h), C(residual), hasResidual, C(weight), eps, C(y), rows, width);
        Compare("add_rms_norm", (nameof(residual), residual), (nameof(y), y));
    }

    public void RmsNorm(MatrixView x, DeviceBuffer weight, float eps, MatrixView y)
    {
        reference.RmsNorm(R(x), R(weight), eps, R(y));
        candidate.RmsNorm(C(x), C(weight), eps, C(y));
        Compare("rms_norm", (nameof(y), y.Buffer));
    }

    public void LayerNorm(MatrixView x, DeviceBuffer weight, DeviceBuffer bias, float eps)
    {
        reference.LayerNorm(R(x), R(weight), R(bias), eps);
        candidate.LayerNorm(C(x), C(weight), C(bias), eps);
        Compare("layer_norm", (nameof(x), x.Buffer));
    }

    public void Rope(MatrixView x, int rowsPerPosition, int startPos, DeviceBuffer cos, DeviceBuffer sin, RopeLayout layout)
    {
        reference.Rope(R(x), rowsPerPosition, startPos, R(cos), R(sin), layout);
        candidate.Rope(C(x), rowsPerPosition, startPos, C(cos), C(sin), layout);
        Compare($"rope {layout}", (nameof(x), x.Buffer));
    }

    public void HadamardRound(MatrixView x)
    {
        reference.HadamardRound(R(x));
        candidate.HadamardRound(C(x));
        Compare("hadamard", (nameof(x), x.Buffer));
    }

    public void ActQuant(MatrixView x, DeviceBuffer codes, long codesOffset, DeviceBuffer scales, long scalesOffset, bool powerOfTwo)
    {
        reference.ActQuant(R(x), R(codes), codesOffset, R(scales), scalesOffset, powerOfTwo);
        candidate.ActQuant(C(x), C(codes), codesOffset, C(scales), scalesOffset, powerOfTwo);
        Compare("act_quant", (nameof(codes), codes), (nameof(scales), scales));
    }

    public void FakeQuantize(MatrixView x, bool powerOfTwo)
    {
        reference.FakeQuantize(R(x), powerOfTwo);
        candidate.FakeQuantize(C(x), powerOfTwo);
        Compare("fake_quantize", (nameof(x), x.Buffer));
    }

    public void ScaleIndexerWeights(DeviceBuffer weights, DeviceBuffer qScales, int count, float headScale, float dimScale)
    {
        reference.ScaleIndexerWeights(R(weights), R(qScales), count, headScale, dimScale);
        candidate.ScaleIndexerWeights(C(weights), C(qScales), count, headScale, dimScale);
        Compare("scale_indexer_weights", (nameof(weights), weights));
    }

    public void IndexScores(DeviceBuffer q8, DeviceBuffer weights, DeviceBuffer keys, DeviceBuffer keyScales, int tokens, int startPos, int heads, int dim, DeviceBuffer scores)
    {
        reference.IndexScores(R(q8), R(weights), R(keys), R(keyScales), tokens, startPos, heads, dim, R(scores));
        candidate.IndexScores(C(q8), C(weights), C(keys), C(keyScales), tokens, startPos, heads, dim, C(scores));
        Compare("index_scores", (nameof(scores), scores));
    }

    public void TopK(DeviceBuffer scores, int tokens, int startPos, int k, DeviceBuffer indices)
    {
        reference.TopK(R(scores), tokens, startPos, k, R(indices));
        candidate.TopK(C(scores), tokens, startPos, k, C(indices));
        Compare("topk", (nameof(indices), indices));
    }

    public void MlaPrefill(DeviceBuffer q, DeviceBuffer kvb, DeviceBuffer ropeKeys, DeviceBuffer? indices, int indexWidth, int tokens, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null)
    {
        reference.MlaPrefill(R(q), R(kvb), R(ropeKeys), R0(indices), indexWidth, tokens, shape, R(output), R0(lse));
        candidate.MlaPrefill(C(q), C(kvb), C(ropeKeys), C0(indices), indexWidth, tokens, shape, C(output), C0(lse));
        Compare("mla_prefill", AttentionOutputs(output, lse));
    }

    public void MlaAbsorbed(DeviceBuffer q, DeviceBuffer wkvb, DeviceBuffer latent, DeviceBuffer ropeKeys, DeviceBuffer? indices, int indexWidth, int tokens, int startPos, MlaShape shape, DeviceBuffer output, DeviceBuffer? lse = null)
    {
        reference.MlaAbsorbed(R(q), R(wkvb), R(latent), R(ropeKeys), R0(indices), indexWidth, tokens, startPos, shape, R(output), R0(lse));
        candidate.MlaAbsorbed(C(q), C(wkvb), C(latent), C(ropeKeys), C0(indices), indexWidth, tokens, startPos, shape, C(output), C0(lse));
        Compare("mla_absorbed", AttentionOutputs(output, lse));
    }

    /// <summary>An MLA op's outputs to compare: the output, and the log-sum-exp when the caller asked for it.</summary>
    private static (string Name, DeviceBuffer Buffer)[] AttentionOutputs(DeviceBuffer output, DeviceBuffer? lse) =>
        lse is null ? [(nameof(output), output)] : [(nameof(output), output), (nameof(lse), lse)];

    public void MoeRoute(DeviceBuffer logits, DeviceBuffer bias, int tokens, MoeRouting routing, DeviceBuffer? forced, DeviceBuffer ids, DeviceBuffer weights)
    {
        reference.MoeRoute(R(logits), R(bias), tokens, routing, R0(forced), R(ids), R(weights));
        candidate.MoeRoute(C(logits), C(bias), tokens, routing, C0(forced), C(ids), C(weights));
        Compare("moe_route", (nameof(ids), ids), (nameof(weights), weights));
    }

    public void GatherRows(DeviceBuffer x, DeviceBuffer rows, int rowsOffset, int count, int width, DeviceBuffer output)
    {
        reference.GatherRows(R(x), R(rows), rowsOffset, count, width, R(output));
        candidate.GatherRows(C(x), C(rows), rowsOffset, count, width, C(output));
        Compare("gather_rows", (nameof(output), output));
    }

    public void ScatterAddScaled(DeviceBuffer y, DeviceBuffer rows, DeviceBuffer scales, int rowsOffset, int count, int width, DeviceBuffer sum)
    {
        reference.ScatterAddScaled(R(y), R(rows), R(scales), rowsOffset, count, width, R(sum));
        candidate.ScatterAddScaled(C(y), C(rows), C(scales), rowsOffset, count, width, C(sum));
        Compare("scatter_add_scaled", (nameof(sum), sum));
    }

    public void SiluMul(DeviceBuffer gate, DeviceBuffer up, int count)
    {
        reference.SiluMul(R(gate), R(up), count);
        candidate.SiluMul(C(gate), C(up), count);
        Compare("silu_mul", (nameof(gate), gate));
    }

    public void AddRound(DeviceBuffer a, DeviceBuffer b, DeviceBuffer output, int count)
    {
        reference.AddRound(R(a), R(b), R(output), count);
        candidate.AddRound(C(a), C(b), C(output), count);
        Compare("add_round", (nameof(output), output));
    }

    public void ArgMax(DeviceBuffer logits, int rows, int vocab, DeviceBuffer ids)
    {
        reference.ArgMax(R(logits), rows, vocab, R(ids));
        candidate.ArgMax(C(logits), rows, vocab, C(ids));
        Compare("argmax", (nameof(ids), ids));
    }

    public void SampleRows(DeviceBuffer logits, int rows, int vocab, ReadOnlySpan<RowSampling> settings, DeviceBuffer ids)
    {
        reference.SampleRows(R(logits), rows, vocab, settings, R(ids));
        candidate.SampleRows(C(logits), rows, vocab, settings, C(ids));
        Compare("sample_rows", (nameof(ids), ids));
    }
}
