using SeekSharp.Cuda.Compilation;
using SeekSharp.Cuda.Interop;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Tests;

/// <summary>
/// The NVRTC kernel compiler: cache keys (no GPU or NVRTC needed), and every embedded kernel compiling for Hopper and
/// Ampere wherever NVRTC is found (no GPU needed; skipped with the reason otherwise).
/// </summary>
public sealed class KernelCompilerTests : IDisposable
{
    private static readonly CompileTarget s_sm90 = new("sm_90", true);
    private readonly string _cache = Directory.CreateTempSubdirectory("seeksharp-kernels").FullName;

    [Fact]
    public void CacheKeyCoversSourceTargetOptionsAndNvrtcVersion()
    {
        var options = KernelCompiler.Options(s_sm90);
        var key = KernelCompiler.CacheKey("src", s_sm90, options, (13, 0));
        Assert.Equal(64, key.Length);
        Assert.Equal(key, KernelCompiler.CacheKey("src", s_sm90, options, (13, 0)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("src ", s_sm90, options, (13, 0)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("src", new CompileTarget("sm_90a", true), options, (13, 0)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("src", new CompileTarget("sm_90", false), options, (13, 0)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("src", s_sm90, [.. options, "-lineinfo"], (13, 0)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("src", s_sm90, options, (12, 9)));
    }

    [Fact]
    public void CacheFileNameNamesTheKernelFileTheTargetAndTheKey()
    {
        var key = KernelCompiler.CacheKey("src", s_sm90, KernelCompiler.Options(s_sm90), (13, 0));
        Assert.Equal($"elementwise-sm_90-{key[..24]}.cubin", KernelCompiler.CacheFileName("elementwise.cu", s_sm90, key));
        Assert.EndsWith(".ptx", KernelCompiler.CacheFileName("quant.cu", new CompileTarget("compute_89", false), key));
    }

    [Fact]
    public void TheCommonHeaderAndEveryKernelFileAreEmbedded()
    {
        Assert.Contains("elementwise.cu", KernelSources.KernelFiles);
        Assert.Contains("fp8_gemm.cu", KernelSources.KernelFiles);
        var composed = KernelSources.Compose("quant");
        Assert.StartsWith("#line 1 \"common.cuh\"", composed);
        Assert.Contains("#line 1 \"quant.cu\"", composed);
        Assert.All(KernelSources.KernelFiles, f => Assert.DoesNotContain("#include", KernelSources.Read(f)));
    }

    [Theory]
    [InlineData(9, 0)]   // Hopper: hardware e4m3 conversion
    [InlineData(8, 0)]   // Ampere: the software e4m3 path
    public void EveryEmbeddedKernelCompilesWithNvrtc(int major, int minor)
    {
        var compiler = new KernelCompiler(NvrtcOrSkip(), _cache);
        var arch = new GpuArchitecture(major, minor);
        var target = compiler.ResolveTarget(arch);
        foreach (var file in KernelSources.KernelFiles)
        {
            var first = compiler.CompileEmbedded(file, arch);
            Assert.False(first.FromCache, file);
            Assert.NotEmpty(first.Image);
            Assert.Equal(target, first.Target);
            var second = compiler.CompileEmbedded(file, arch);
            Assert.True(second.FromCache, file);
            Assert.Equal(first.Image, second.Image);
        }
        TestContext.Current.SendDiagnosticMessage($"NVRTC {compiler.NvrtcVersion}: {KernelSources.KernelFiles.Count} files for {target}");
        Assert.Empty(Directory.GetFiles(_cache, "*.tmp"));
    }

    [Fact]
    public void HopperGetsSm90aWhenNvrtcKnowsItAndAnUnknownArchitectureFallsBackToPtx()
    {
        var compiler = new KernelCompiler(NvrtcOrSkip(), cacheDirectory: null);
        var hopper = compiler.ResolveTarget(new GpuArchitecture(9, 0));
        Assert.Equal(compiler.NvrtcVersion.Major >= 12 ? "sm_90a" : "sm_90", hopper.Name);
        Assert.True(hopper.IsCubin);
        Assert.Equal("sm_86", compiler.ResolveTarget(new GpuArchitecture(8, 6)).Name);
        var future = compiler.ResolveTarget(new GpuArchitecture(99, 0));
        Assert.False(future.IsCubin);
        Assert.StartsWith("compute_", future.Name);
    }

    [Fact]
    public void ACompileErrorNamesTheFileAndCarriesNvrtcsLog()
    {
        var compiler = new KernelCompiler(NvrtcOrSkip(), cacheDirectory: null);
        const string source = "extern \"C\" __global__ void broken(float* x) { x[0] = undefined_name; }";
        var error = Assert.Throws<CudaException>(() => compiler.Compile("broken.cu", source, compiler.ResolveTarget(new GpuArchitecture(8, 0))));
        Assert.Equal("NVRTC", error.Library);
        Assert.Equal("NVRTC_ERROR_COMPILATION", error.ErrorName);
        Assert.Contains("broken.cu", error.Message);
        Assert.Contains("undefined_name", error.Message);
    }

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    internal static Nvrtc NvrtcOrSkip() =>
        CudaLibraries.TryNvrtc(out var reason) ?? throw SkipWith($"NVRTC is not available here: {reason}");

    private static Exception SkipWith(string reason)
    {
        Assert.Skip(reason);
        return new InvalidOperationException(reason);
    }
}
