using SeekSharp.Core;
using SeekSharp.Cuda.Compilation;
using SeekSharp.Cuda.Interop;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Tests;

/// <summary>Allocator size classes (no GPU needed); context, launches, events and transfers on a GPU (skipped without one).</summary>
public sealed class CudaRuntimeTests
{
    [Theory]
    [InlineData(0, 512)]
    [InlineData(1, 512)]
    [InlineData(513, 1024)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, 2 << 20)]
    [InlineData((5 << 20) + 7, 6 << 20)]
    public void SizeClassesArePowersOfTwoThenTwoMebibyteMultiples(long bytes, long expected) =>
        Assert.Equal(expected, CachingAllocator.SizeClass(bytes));

    [Fact]
    public void KernelArgsKeepParameterOrder()
    {
        var args = new KernelArgs().Ptr(0x1000).Int(-1).Long(1L << 40).Float(1.5f);
        Assert.Equal(4, args.Count);
        Span<long> slots = stackalloc long[4];
        args.CopyTo(slots);
        Assert.Equal(0x1000, slots[0]);
        Assert.Equal(-1, (int)slots[1]);
        Assert.Equal(1L << 40, slots[2]);
        Assert.Equal(1.5f, BitConverter.Int32BitsToSingle((int)slots[3]));
    }

    [Fact]
    public void AllocatorReusesFreedBlocksAndReturnsEverythingOnDispose()
    {
        using var device = DeviceOrSkip();
        using var allocator = new CachingAllocator(device.Context);
        var a = allocator.Allocate(3000);
        Assert.Equal(4096, a.Size);
        allocator.Free(a);
        Assert.Equal(4096, allocator.CachedBytes);
        var b = allocator.Allocate(4000);
        Assert.Equal(a.Pointer, b.Pointer);
        Assert.Equal(0, allocator.CachedBytes);
        Assert.Equal(4096, allocator.LiveBytes);
        allocator.Dispose();
        allocator.Free(b);   // after Dispose: a no-op, never a throw
    }

    [Fact]
    public void AKernelLaunchesAndIsTimedWithEvents()
    {
        using var device = DeviceOrSkip();
        const string source = "extern \"C\" __global__ void fill(float* y, int n, float v) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) y[i] = v * i; }";
        var compiler = new KernelCompiler(CudaLibraries.Nvrtc, cacheDirectory: null);
        var compiled = compiler.Compile("fill.cu", source, compiler.ResolveTarget(device.Context.Architecture));
        using var module = new CudaModule(device.Context, "fill.cu", compiled.Image);
        using var y = device.Allocate(DType.F32, 1000);
        using var start = new CudaEvent(device.Context);
        using var end = new CudaEvent(device.Context);
        start.Record(device.Stream);
        module.Function("fill").Launch(device.Stream, new Dim3(Dim3.Blocks(1000, 256)), new Dim3(256), 0,
            new KernelArgs().Ptr(((CudaBuffer)y).Pointer).Int(1000).Float(0.5f));
        end.Record(device.Stream);
        end.Synchronize();
        Assert.True(CudaEvent.ElapsedMilliseconds(start, end) >= 0);
        var values = new float[1000];
        device.Download<float>(y, 0, values);
        Assert.Equal(0.5f * 999, values[999]);
    }

    [Fact]
    public void AnEmbeddingIdOutsideTheVocabularyThrowsAtTheNextSynchronisation()
    {
        using var device = DeviceOrSkip();
        using var table = device.UploadLinear(Core.Backend.LinearWeight.FromBf16("embed", new ushort[4 * 8], 4, 8));
        using var ids = device.Allocate(DType.I32, 2);
        device.Upload<int>([1, 7], ids);
        using var y = device.Allocate(DType.F32, 16);
        device.Embed(table, ids, 2, y);
        var error = Assert.Throws<ArgumentOutOfRangeException>(device.Synchronize);
        Assert.Contains("token id 7 at index 1", error.Message);
        device.Synchronize();   // reported once
    }

    [Fact]
    public void AWrongBufferNamesTheOpAndTheArgument()
    {
        using var device = DeviceOrSkip();
        using var gate = device.Allocate(DType.F32, 10);
        using var up = device.Allocate(DType.I32, 10);
        var error = Assert.Throws<ArgumentException>(() => device.SiluMul(gate, up, 10));
        Assert.Equal("silu_mul: up must be F32, not I32 (Parameter 'up')", error.Message);
        error = Assert.Throws<ArgumentException>(() => device.SiluMul(gate, gate, 11));
        Assert.StartsWith("silu_mul: gate has 10 elements, needs 11", error.Message);
    }

    [Fact]
    public void AnOptionalKernelThatDoesNotLoadFallsBackWithItsReason()
    {
        using var device = DeviceOrSkip();
        var saved = Console.Error;
        using var log = new StringWriter();
        Console.SetError(log);
        try
        {
            Assert.False(device.Kernels.TryLoadOptional("test: a kernel this file lacks", "the portable one",
                () => device.Kernels.Module("elementwise.cu").Function("no_such_kernel"), out _));
            Assert.True(device.Kernels.TryLoadOptional("test: a kernel it has", "the portable one",
                () => device.Kernels.Module("elementwise.cu").Function("silu_mul"), out var loaded));
            Assert.Equal("silu_mul", loaded.Name);
        }
        finally
        {
            Console.SetError(saved);
        }
        var line = Assert.Single(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("test: a kernel this file lacks: unavailable (", line);
        Assert.Contains("no_such_kernel", line);
        Assert.EndsWith("); using the portable one", line.TrimEnd());
    }

    internal static CudaDevice DeviceOrSkip()
    {
        var probe = CudaAvailability.Default;
        if (!probe.IsAvailable) Assert.Skip(probe.Reason!);
        return CudaDevice.Create();
    }
}
