using SeekSharp.Models.Reference;

using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Models.Tests.Reference;

/// <summary>
/// Controls: dense attention (index_topk = ∞) against golden_ref_dense, and the FP8 checkpoint (act_quant + fp8 block
/// GEMM on every quantised linear) against its golden_ref.
/// </summary>
public sealed class ReferenceControlGoldenTests
{
    public static TheoryData<string> Prompts() => new("A", "B");

    [Theory]
    [MemberData(nameof(Prompts))]
    public void DenseControlMatchesGoldenDenseAndDiffersFromSparse(string prompt)
    {
        var g = ReferenceGolden.Get("tiny-bf16");
        var tokens = g.Prompts[prompt];
        var trace = new ReferenceTrace();

        var logits = g.DenseModel.Forward(tokens, 0, g.DenseModel.NewCache(), trace: trace);

        Agreement.Of(g.Floats("ref_dense", $"{prompt}.prefill.logits"), logits, g.Vocab)
            .AssertWithin(0.35, 0.04, 0.95, $"{prompt} dense control (free-running routing) vs golden_ref_dense");
        Agreement.Of(g.Floats("ref_dense", $"{prompt}.prefill.final_hidden"), trace.FinalHidden, g.Hidden)
            .AssertWithin(0.25, 0.02, 0, $"{prompt} dense control final_hidden");
        var vsSparse = Agreement.Of(g.Floats("ref", $"{prompt}.prefill.logits"), logits, g.Vocab);
        vsSparse.Log($"{prompt} dense control vs sparse golden_ref");
        if (prompt == "A") Assert.True(vsSparse.Max > 1, $"dense and sparse attention should differ clearly, max|Δ| {vsSparse.Max:G3}");
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Fp8ForcedPrefillMatchesGolden(string prompt)
    {
        var g = ReferenceGolden.Get("tiny-fp8");
        var tokens = g.Prompts[prompt];
        var forced = g.ForcedLog($"{prompt}.prefill.topk", 0, $"{prompt}.prefill.routing", 0);
        var trace = new ReferenceTrace();

        var logits = g.Model.Forward(tokens, 0, g.Model.NewCache(), forced, trace: trace);

        var agreement = Agreement.Of(g.Floats("ref", $"{prompt}.prefill.logits"), logits, g.Vocab);
        agreement.AssertWithin(double.PositiveInfinity, double.PositiveInfinity, 0.93, $"{prompt} tiny-fp8 forced prefill logits");
        var size = tokens.Length * g.Hidden;
        var layerOut = g.Floats("ref", $"{prompt}.prefill.layer_out");
        Agreement.Of(layerOut.AsSpan(0, size), trace.LayerOut.AsSpan(0, size), g.Hidden)
            .AssertWithin(0.1, 0.005, 0, $"{prompt} tiny-fp8 layer_out[0]");
        for (var l = 1; l < g.Config.NumHiddenLayers; l++)
            Agreement.Of(layerOut.AsSpan(l * size, size), trace.LayerOut.AsSpan(l * size, size), g.Hidden).Log($"{prompt} tiny-fp8 layer_out[{l}]");
        Agreement.Of(g.Floats("ref", $"{prompt}.prefill.final_hidden"), trace.FinalHidden, g.Hidden).Log($"{prompt} tiny-fp8 final_hidden");
    }
}
