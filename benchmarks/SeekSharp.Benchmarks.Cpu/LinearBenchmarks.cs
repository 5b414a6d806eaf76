using BenchmarkDotNet.Attributes;
using SeekSharp.Core.Backend;
using SeekSharp.Cpu;

namespace SeekSharp.Benchmarks.Cpu;

/// <summary>CpuBackend.Linear on the expert shapes; the config adds weight GB/s and GMAC/s columns.</summary>
public class LinearBenchmarks
{
    private LinearWeight _weight = null!;
    private float[] _x = null!;
    private float[] _y = null!;
    private CpuBackend _backend = null!;

    [ParamsSource(nameof(Cases))]
    public GemvCase Case { get; set; } = GemvCase.Standard[0];

    /// <summary>1 thread, and all cores.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<GemvCase> Cases => GemvCase.Standard;

    public static IEnumerable<int> ThreadCounts => Environment.ProcessorCount == 1 ? [1] : [1, Environment.ProcessorCount];

    [GlobalSetup]
    public void Setup()
    {
        _weight = Case.CreateWeight();
        _x = Case.CreateInput();
        _y = new float[Case.Rows * Case.Out];
        _backend = new CpuBackend(Threads);
    }

    [GlobalCleanup]
    public void Cleanup() => _backend.Dispose();

    [Benchmark]
    public void Linear() => _backend.Linear(_weight, _x, Case.Rows, _y);
}
