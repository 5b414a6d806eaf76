using SeekSharp.Cuda.Interop;

namespace SeekSharp.Cuda.Tests;

/// <summary>Where CUDA libraries are looked for, and the sentences when they are missing (no GPU needed).</summary>
public sealed class LibrarySearchTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("seeksharp-libsearch").FullName;

    [Fact]
    public void DirectoriesFollowCudaHomeThenUsrLocalThenLdLibraryPath()
    {
        var env = new Dictionary<string, string?>
        {
            ["CUDA_HOME"] = "/opt/cuda-13",
            ["CUDA_PATH"] = "/opt/cuda-12",
            ["LD_LIBRARY_PATH"] = "/a/lib:/b/lib::",
        };
        var dirs = LibrarySearch.FromEnvironment(v => env.GetValueOrDefault(v)).Directories;
        var expected = new[] { "/opt/cuda-13/lib64", "/opt/cuda-13/lib", "/opt/cuda-12/lib64", "/opt/cuda-12/lib", "/usr/local/cuda/lib64", "/a/lib", "/b/lib" };
        Assert.Equal(expected, dirs.Take(expected.Length));
    }

    [Fact]
    public void PipLayoutPutsCu13FirstThenEveryNvidiaPackageLib()
    {
        var sitePackages = Path.Combine(_root, "lib", "python3.12", "site-packages");
        foreach (var package in new[] { "cu13", "cublas", "cuda_nvrtc", "no_lib_here" })
            Directory.CreateDirectory(Path.Combine(sitePackages, "nvidia", package, package == "no_lib_here" ? "include" : "lib"));
        var dirs = LibrarySearch.PipLibraryDirectories(sitePackages).ToArray();
        Assert.Equal([
            Path.Combine(sitePackages, "nvidia", "cu13", "lib"),
            Path.Combine(sitePackages, "nvidia", "cublas", "lib"),
            Path.Combine(sitePackages, "nvidia", "cuda_nvrtc", "lib")], dirs);

        // a virtual environment's site-packages is found through VIRTUAL_ENV
        var fromEnv = LibrarySearch.FromEnvironment(v => v == "VIRTUAL_ENV" ? _root : null).Directories;
        Assert.Contains(Path.Combine(sitePackages, "nvidia", "cu13", "lib"), fromEnv);
    }

    [Fact]
    public void VersionedSonamesAreAccepted()
    {
        Assert.Contains("libnvrtc.so.13", LibrarySpec.Nvrtc.FileNames);
        Assert.Contains("libnvrtc.so.12", LibrarySpec.Nvrtc.FileNames);
        Assert.Contains("libnvrtc.so.11.2", LibrarySpec.Nvrtc.FileNames);
        Assert.Contains("libcublas.so.13", LibrarySpec.Cublas.FileNames);
        Assert.Contains("libcublas.so.12", LibrarySpec.Cublas.FileNames);
        Assert.Contains("libcuda.so.1", LibrarySpec.Driver.FileNames);
    }

    [Fact]
    public void AFileThatIsNotALibraryIsNotLoaded()
    {
        File.WriteAllText(Path.Combine(_root, "libnvrtc.so.13"), "not an ELF file");
        var search = new LibrarySearch([_root], useSystemLoader: false);
        Assert.Null(search.TryLoad(LibrarySpec.Nvrtc));
    }

    [Fact]
    public void AnEmptySearchNamesTheMissingDriverInOneSentence()
    {
        var result = CudaAvailability.Probe(new LibrarySearch([], useSystemLoader: false));
        Assert.False(result.IsAvailable);
        Assert.StartsWith("No CUDA driver: CUDA driver was not found: looked for libcuda.so.1", result.Reason);
        Assert.Contains("in no directories", result.Reason);
        Assert.EndsWith(".", result.Reason);
        Assert.Equal(result.Reason, result.ToString());
    }

    [Fact]
    public void MissingNvrtcIsNamedWithTheDirectoriesSearched()
    {
        var search = new LibrarySearch([_root, "/nowhere/lib64"], useSystemLoader: false);
        var reason = CudaAvailability.MissingLibrary(search);
        Assert.NotNull(reason);
        Assert.StartsWith("NVRTC was not found: looked for libnvrtc.so, libnvrtc.so.13, libnvrtc.so.12, libnvrtc.so.11.2", reason);
        Assert.Contains(_root, reason);
        Assert.Contains("/nowhere/lib64", reason);
        Assert.Contains("CUDA_HOME", reason);
    }

    [Fact]
    public void UnsupportedArchitectureSentenceNamesTheGpuAndTheMinimum()
    {
        var text = CudaAvailability.UnsupportedArchitecture(1, "Tesla V100", new Runtime.GpuArchitecture(7, 0));
        Assert.Equal("GPU 1 (Tesla V100) has compute capability 7.0; SeekSharp's CUDA kernels need 8.0 (Ampere) or newer.", text);
    }

    [Fact]
    public void TheDefaultProbeNeverThrowsAndAlwaysExplainsItself()
    {
        var result = CudaAvailability.Default;
        Assert.True(result.IsAvailable || !string.IsNullOrWhiteSpace(result.Reason));
        TestContext.Current.SendDiagnosticMessage($"CUDA probe: {result}");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
