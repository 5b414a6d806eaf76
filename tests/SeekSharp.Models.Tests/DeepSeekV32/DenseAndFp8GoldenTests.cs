using SeekSharp.Cpu;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>The dense-attention control and the FP8 checkpoint (README §5 items 4 and 5).</summary>
public sealed class DenseAndFp8GoldenTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    public void TopKDisabledMatchesDenseControlAndDiffersFromSparse(string prompt)
    {
        using var dense = new TinyModel("tiny-bf16", "cpu", new ModelOptions { IndexTopkOverride = int.MaxValue });
        var tokens = dense.Golden.Prompts[prompt];
        var margins = new RoutingMarginTrace(dense.Model.Config);
        var logits = dense.Model.Forward(tokens, dense.Model.NewCache(), allRows: true, trace: margins);
        var golden = dense.Golden.Floats($"{prompt}.prefill.logits", "ref_dense");

        // The dense control has no recorded routing to force, so routing runs free: a router near-tie may
        // flip an expert and move that row by O(1). "Near" = a margin below one bf16 ulp of a score in
        // [0.5, 1) (2^-8): the router reads a bf16 hidden state, so rounding alone can decide such a tie.
        // Every other row must meet the forced-decision bar; the flipped rows are reported.
        var vsDense = Agreement.Of(golden, logits, dense.Vocab);
        output.WriteLine($"{prompt} top-k disabled vs golden_ref_dense: {vsDense}");
        Assert.True(vsDense.Mean <= 0.04, vsDense.ToString());
        Assert.True(vsDense.ArgmaxAgreement >= 0.95, vsDense.ToString());
        var coinTosses = 0;
        for (var r = 0; r < tokens.Length; r++)
        {
            var row = Agreement.Of(golden.AsSpan(r * dense.Vocab, dense.Vocab), logits.AsSpan(r * dense.Vocab, dense.Vocab), dense.Vocab);
            if (row.Max <= 0.35) continue;
            var margin = margins.MarginAt(r);
            output.WriteLine($"  row {r}: max|Δ| {row.Max:F3}, smallest routing margin {margin:E2}");
            Assert.True(margin < 1f / 256, $"row {r} differs by {row.Max:F3} although its routing margin {margin:E2} is no near-tie");
            coinTosses++;
        }
        Assert.True(coinTosses <= tokens.Length / 20, $"{coinTosses} rows moved by routing near-ties");

        var vsSparse = Agreement.Of(dense.Golden.Floats($"{prompt}.prefill.logits"), logits, dense.Vocab);
        output.WriteLine($"{prompt} top-k disabled vs sparse golden_ref: {vsSparse}");
        if (prompt == "A") Assert.True(vsSparse.Max > 1.0, $"dense and sparse should differ clearly on A: {vsSparse}");
    }

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    public void Fp8ForcedPrefillReachesArgmaxBar(string prompt)
    {
        using var tiny = new TinyModel("tiny-fp8", "cpu");
        var tokens = tiny.Golden.Prompts[prompt];
        var forced = tiny.Model.NewDecisionLog();
        GoldenModelData.Load(forced, tiny.Golden.Ints($"{prompt}.prefill.topk"), 0, tiny.Golden.Ints($"{prompt}.prefill.routing"), 0);
        var trace = new CollectingTrace(tiny.Model.Config.NumHiddenLayers);

        var logits = tiny.Model.Forward(tokens, tiny.Model.NewCache(), allRows: true, forced, trace: trace);

        var cmp = Agreement.Of(tiny.Golden.Floats($"{prompt}.prefill.logits"), logits, tiny.Vocab);
        output.WriteLine($"{prompt} tiny-fp8 forced prefill: {cmp}");
        Assert.True(cmp.ArgmaxAgreement >= 0.93, cmp.ToString());

        var hidden = tiny.Model.Config.HiddenSize;
        var layer0 = Agreement.Of(tiny.Golden.Floats($"{prompt}.prefill.layer_out").AsSpan(0, tokens.Length * hidden), trace.LayerOutputs[0], hidden);
        output.WriteLine($"{prompt} tiny-fp8 layer_out[0]: max|Δ| {layer0.Max:F4} mean {layer0.Mean:F6}");
        Assert.True(layer0.Mean < 5e-3, $"layer 0 output mean|Δ| {layer0.Mean}");
    }
}
