using SeekSharp.Models.Decisions;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Cuda.Tests;

/// <summary>
/// The golden tiny checkpoints on the GPU with the reference's decisions replayed, to the same bars as on the CPU
/// (golden/model/README §5; tiny-bf16: max|Δ| ≤ 0.35, mean ≤ 0.04, argmax ≥ 95 %; tiny-fp8: argmax ≥ 93 %).
/// </summary>
public sealed class CudaGoldenModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    public void Bf16ForcedPrefillMatchesReference(string prompt)
    {
        using var golden = new GoldenModelData("tiny-bf16");
        using var model = DeepSeekV32Model.Load(golden.Directory, CudaTestDevice.Get());
        var logits = ForcedPrefill(golden, model, prompt);

        var cmp = Agreement.Of(golden.Floats($"{prompt}.prefill.logits"), logits, model.Config.VocabSize);
        output.WriteLine($"{prompt} cuda forced prefill: {cmp}");
        cmp.AssertWithin(0.35, 0.04, 0.95, "tiny-bf16 prefill logits on cuda");
    }

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    public void Bf16DecodePathWithReplayedDecisionsMatchesReference(string prompt)
    {
        using var golden = new GoldenModelData("tiny-bf16");
        using var model = DeepSeekV32Model.Load(golden.Directory, CudaTestDevice.Get());
        var tokens = golden.Prompts[prompt];
        var p = golden.DecodePrefillLength[prompt];
        var forced = model.NewDecisionLog();
        GoldenModelData.Load(forced, golden.Ints($"{prompt}.decode.prefill_topk"), 0, golden.Ints($"{prompt}.decode.routing"), 0);
        forced.SetTopkRows(p, golden.Ints($"{prompt}.decode.topk"));

        var logits = model.Score(tokens, p, forced);

        var cmp = Agreement.Of(golden.Floats($"{prompt}.decode.logits"), logits, model.Config.VocabSize);
        output.WriteLine($"{prompt} cuda decode path, golden decisions replayed: {cmp}");
        cmp.AssertWithin(0.35, 0.04, 0.95, "tiny-bf16 decode-path logits on cuda");
    }

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    public void Fp8ForcedPrefillReachesArgmaxBar(string prompt)
    {
        using var golden = new GoldenModelData("tiny-fp8");
        using var model = DeepSeekV32Model.Load(golden.Directory, CudaTestDevice.Get());
        var logits = ForcedPrefill(golden, model, prompt);

        var cmp = Agreement.Of(golden.Floats($"{prompt}.prefill.logits"), logits, model.Config.VocabSize);
        output.WriteLine($"{prompt} cuda tiny-fp8 forced prefill: {cmp}");
        Assert.True(cmp.ArgmaxAgreement >= 0.93, cmp.ToString());
    }

    [Fact]
    public void DecisionsRecordedOnTheGpuReplayToTheSameLogits()
    {
        using var golden = new GoldenModelData("tiny-bf16");
        using var model = DeepSeekV32Model.Load(golden.Directory, CudaTestDevice.Get());
        var tokens = golden.Prompts["A"];
        var record = model.NewDecisionLog();
        using var free = model.NewCache();
        var logits = model.Forward(tokens, free, allRows: true, record: record);

        var path = Path.Combine(Path.GetTempPath(), $"seeksharp-cuda-decisions-{Guid.NewGuid():N}.safetensors");
        try
        {
            DecisionLogFile.Save(record, tokens.Length, path);
            using var again = model.NewCache();
            var replayed = model.Forward(tokens, again, allRows: true, DecisionLogFile.Load(path, model.NewDecisionLog()));
            Assert.Equal(logits, replayed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>All-row prefill logits of a golden prompt with the reference's top-k sets and experts forced.</summary>
    private static float[] ForcedPrefill(GoldenModelData golden, DeepSeekV32Model model, string prompt)
    {
        var forced = model.NewDecisionLog();
        GoldenModelData.Load(forced, golden.Ints($"{prompt}.prefill.topk"), 0, golden.Ints($"{prompt}.prefill.routing"), 0);
        using var cache = model.NewCache();
        return model.Forward(golden.Prompts[prompt], cache, allRows: true, forced);
    }
}
