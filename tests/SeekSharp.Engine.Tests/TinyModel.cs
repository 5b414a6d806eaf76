using SeekSharp.Cpu;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Testing;

[assembly: AssemblyFixture(typeof(SeekSharp.Engine.Tests.TinyModel))]

namespace SeekSharp.Engine.Tests;

/// <summary>The tiny golden checkpoint (3 layers, hidden 256, vocab 1024, 256 positions, index_topk 32) on the SIMD CPU backend, loaded once.</summary>
public sealed class TinyModel : IDisposable
{
    public TinyModel() => Model = DeepSeekV32Model.Load(SharedData.GoldenModel("tiny-bf16"), new CpuBackend());

    public DeepSeekV32Model Model { get; }

    public int Vocab => Model.Config.VocabSize;

    /// <summary>A deterministic prompt; distinct seeds give distinct first blocks (no accidental prefix sharing).</summary>
    public static int[] Prompt(int seed, int length)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(2, 1024))];
    }

    public void Dispose() => Model.Dispose();
}
