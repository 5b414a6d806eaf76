using SeekSharp.Core.Compute.Host;
using SeekSharp.Cpu;
using SeekSharp.Engine;

namespace SeekSharp.Agents.Tests;

/// <summary>The real engine (LlmEngine on the SIMD CPU backend) over the untrained demo model, shared by a test class.</summary>
public sealed class DemoEngineFixture(DemoModelFixture demo) : IAsyncDisposable
{
    public LlmEngine Engine { get; } = LlmEngine.Load(demo.Directory, new HostDevice(new CpuBackend(2), ownsBackend: true),
        new EngineOptions { MaxRunningSequences = 4, ModelName = "demo" }, ownsDevice: true);

    public DemoModelFixture Demo => demo;

    public ValueTask DisposeAsync() => Engine.DisposeAsync();
}
