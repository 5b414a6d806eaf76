using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;
using SeekSharp.OpTests;

namespace SeekSharp.Cpu.Tests;

/// <summary>The shared op tests on the CPU device the CLI runs: HostDevice over the SIMD, multi-threaded CpuBackend.</summary>
public sealed class CpuDeviceOpTests : DeviceOpTests
{
    private static readonly HostDevice s_device = new(new CpuBackend(Math.Max(2, Environment.ProcessorCount)), ownsBackend: true);

    protected override IComputeDevice CreateDevice() => s_device;
}
