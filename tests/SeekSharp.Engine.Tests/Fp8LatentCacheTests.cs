using SeekSharp.Core;
using SeekSharp.Cpu;
using SeekSharp.Engine.Cache;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Testing;

namespace SeekSharp.Engine.Tests;

/// <summary>
/// ModelOptions.Fp8LatentCache: the model fake-quantises the MLA latent, and a pool of 528-byte FP8 rows stores exactly
/// those values, so serving from it gives the logits of the model's own (bf16-valued) cache bit for bit.
/// </summary>
public sealed class Fp8LatentCacheTests
{
    [Fact]
    public void A_pool_of_fp8_latent_rows_gives_the_logits_of_the_models_own_cache()
    {
        using var model = DeepSeekV32Model.Load(SharedData.GoldenModel("tiny-fp8"), new CpuBackend(), new ModelOptions { Fp8LatentCache = true });
        var prompt = TinyModel.Prompt(5, 70);
        using var cache = model.NewCache();
        var expectPrefill = model.Forward(prompt, cache, rowInvariantLinears: true);
        var expectStep = model.Forward([7], cache, rowInvariantLinears: true);

        using var pool = new KvBlockPool(model.Device, model.Config, 4, fp8Latent: true);
        Assert.Equal(DType.U8, pool.Layer(0).Latent.DType);
        var kv = new PagedSequenceKv(pool, [3, 1]);                     // two blocks, out of order
        var prefill = model.ForwardBatch([new BatchSequence(prompt, 0, kv)]);
        var step = model.ForwardBatch([new BatchSequence(new[] { 7 }, prompt.Length, kv)]);
        Assert.Equal(expectPrefill, prefill);
        Assert.Equal(expectStep, step);
    }

    [Fact]
    public void The_fp8_latent_changes_what_the_model_computes()
    {
        using var fp8 = DeepSeekV32Model.Load(SharedData.GoldenModel("tiny-fp8"), new CpuBackend(), new ModelOptions { Fp8LatentCache = true });
        using var plain = DeepSeekV32Model.Load(SharedData.GoldenModel("tiny-fp8"), new CpuBackend());
        var prompt = TinyModel.Prompt(6, 40);
        // the prefill's FP8 kv_b quantises the latent exactly as the fake quantisation does (same blocks, ue8m0), so
        // the MHA prefill is unchanged; the absorbed form (decode) attends over the latent values themselves
        Assert.Equal(plain.Score(prompt), fp8.Score(prompt));
        var a = fp8.Score(prompt, decodeFrom: 30);
        var b = plain.Score(prompt, decodeFrom: 30);
        var largest = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(largest > 0, "the FP8 latent left every decode-path logit unchanged");
    }

    [Fact]
    public void A_model_without_the_option_refuses_an_fp8_pool()
    {
        using var plain = DeepSeekV32Model.Load(SharedData.GoldenModel("tiny-fp8"), new CpuBackend());
        using var pool = new KvBlockPool(plain.Device, plain.Config, 2, fp8Latent: true);
        var error = Assert.Throws<InvalidOperationException>(() =>
            plain.ForwardBatch([new BatchSequence(TinyModel.Prompt(7, 5), 0, new PagedSequenceKv(pool, [0]))]));
        Assert.Contains("Fp8LatentCache", error.Message);
    }

    [Fact]
    public void The_engine_sizes_its_pool_by_the_fp8_row()
    {
        var config = SeekSharp.IO.Config.DeepSeekConfig.Load(Path.Combine(SharedData.GoldenModel("tiny-fp8"), "config.json"));
        var bf16 = KvBlockPool.BytesPerBlock(config, DType.BF16);
        var fp8 = KvBlockPool.BytesPerBlock(config, DType.BF16, fp8Latent: true);
        // per row and layer: latent 128 bf16 values (256 B) become 128 codes + 1 fp32 scale (132 B)
        Assert.Equal((256 - 132) * EngineOptions.BlockSize * (long)config.NumHiddenLayers, bf16 - fp8);
    }
}
