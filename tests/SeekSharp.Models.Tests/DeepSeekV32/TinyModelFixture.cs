using SeekSharp.Core.Backend;
using SeekSharp.Cpu;
using SeekSharp.Models.DeepSeekV32;
using SeekSharp.Models.Tests.Golden;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>A golden tiny checkpoint loaded on a backend, with its golden outputs.</summary>
public sealed class TinyModel : IDisposable
{
    private readonly IBackend _backend;

    public TinyModel(string checkpoint, string backend, ModelOptions? options = null)
    {
        Golden = new GoldenModelData(checkpoint);
        _backend = backend == "cpu" ? new CpuBackend(Environment.ProcessorCount) : new ScalarBackend();
        Model = DeepSeekV32Model.Load(Golden.Directory, _backend, options);
    }

    public GoldenModelData Golden { get; }
    public DeepSeekV32Model Model { get; }
    public int Vocab => Model.Config.VocabSize;

    public void Dispose()
    {
        Model.Dispose();
        _backend.Dispose();
        Golden.Dispose();
    }
}

/// <summary>Shared per test class: tiny-bf16 on the SIMD backend and on the scalar oracle backend.</summary>
public sealed class TinyBf16Models : IDisposable
{
    public TinyModel Cpu { get; } = new("tiny-bf16", "cpu");
    public TinyModel Scalar { get; } = new("tiny-bf16", "scalar");

    public TinyModel For(string backend) => backend == "cpu" ? Cpu : Scalar;

    public void Dispose()
    {
        Cpu.Dispose();
        Scalar.Dispose();
    }
}
