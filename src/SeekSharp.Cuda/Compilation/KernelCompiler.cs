using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SeekSharp.Cuda.Interop;
using SeekSharp.Cuda.Runtime;

namespace SeekSharp.Cuda.Compilation;

/// <summary>
/// Compiles kernel sources with NVRTC for one GPU architecture and caches the result on disk. The cache file name
/// carries a SHA-256 of (source, target, options, NVRTC version), so any change to one of them compiles afresh; files
/// are written to a temporary name and renamed, so a concurrent reader never sees half a CUBIN.
/// Default cache folder: <c>SEEKSHARP_KERNEL_CACHE</c>, else <c>$XDG_CACHE_HOME/seeksharp/kernels</c>, else
/// <c>~/.cache/seeksharp/kernels</c>. A null folder disables the disk cache.
/// </summary>
public sealed unsafe class KernelCompiler(Nvrtc nvrtc, string? cacheDirectory)
{
    /// <summary>
    /// Options every kernel is compiled with. --fmad=false: a·b + c is never contracted into an FMA unless a kernel asks
    /// for one (fmaf), so the kernels round exactly where the C# reference does.
    /// </summary>
    public static IReadOnlyList<string> BaseOptions { get; } = ["--std=c++17", "--fmad=false"];

    public KernelCompiler(Nvrtc nvrtc) : this(nvrtc, DefaultCacheDirectory()) { }

    public Nvrtc Nvrtc { get; } = nvrtc;

    public string? CacheDirectory { get; } = cacheDirectory;

    /// <summary>NVRTC's version, fixed for the process.</summary>
    public (int Major, int Minor) NvrtcVersion { get; } = nvrtc.Version;

    public static string DefaultCacheDirectory()
    {
        if (Environment.GetEnvironmentVariable("SEEKSHARP_KERNEL_CACHE") is { Length: > 0 } explicitDir) return explicitDir;
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "seeksharp", "kernels");
    }

    /// <summary>
    /// What to compile for <paramref name="arch"/>: sm_90a on Hopper (NVRTC 12+), else sm_XY when NVRTC knows XY,
    /// else PTX for the newest older architecture NVRTC knows (the driver JIT-compiles it).
    /// </summary>
    public CompileTarget ResolveTarget(GpuArchitecture arch)
    {
        var supported = Nvrtc.SupportedArchitectures();
        if (supported.Contains(arch.Number))
        {
            var archSpecific = arch.HasArchSpecificTarget && NvrtcVersion.Major >= 12;
            return new CompileTarget(archSpecific ? $"sm_{arch.Number}a" : $"sm_{arch.Number}", IsCubin: true);
        }
        var older = supported.Where(a => a <= arch.Number).DefaultIfEmpty(-1).Max();
        if (older < 0)
        {
            throw new NotSupportedException(
                $"NVRTC {NvrtcVersion.Major}.{NvrtcVersion.Minor} cannot compile for {arch} (it knows {string.Join(", ", supported)})");
        }
        return new CompileTarget($"compute_{older}", IsCubin: false);
    }

    /// <summary>The full option list for a target (what the cache key covers).</summary>
    public static IReadOnlyList<string> Options(CompileTarget target) => [target.Option, .. BaseOptions];

    /// <summary>Hex SHA-256 of everything that determines the compiled image.</summary>
    public static string CacheKey(string source, CompileTarget target, IReadOnlyList<string> options, (int Major, int Minor) nvrtcVersion)
    {
        var text = $"{source}\n--target {target.Name} {target.IsCubin}\n--options {string.Join(' ', options)}\n--nvrtc {nvrtcVersion.Major}.{nvrtcVersion.Minor}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The cache file for a compiled kernel file.</summary>
    public string? CachePath(string fileName, CompileTarget target, string key) =>
        CacheDirectory is null ? null : Path.Combine(CacheDirectory, CacheFileName(fileName, target, key));

    /// <summary>"elementwise-sm_90a-&lt;24 hex digits of the key&gt;.cubin".</summary>
    public static string CacheFileName(string fileName, CompileTarget target, string key) =>
        $"{Path.GetFileNameWithoutExtension(fileName)}-{target.Name}-{key[..24]}.{target.Extension}";

    /// <summary>Compiles an embedded kernel file (with common.cuh in front) for <paramref name="arch"/>.</summary>
    public CompiledKernel CompileEmbedded(string cuFileName, GpuArchitecture arch) =>
        Compile(KernelSources.Normalize(cuFileName), KernelSources.Compose(cuFileName), ResolveTarget(arch));

    /// <summary>
    /// Compiles <paramref name="source"/> for <paramref name="target"/>, or reads the cached image. Compile errors throw
    /// a <see cref="CudaException"/> whose message holds the file name and NVRTC's whole log.
    /// </summary>
    public CompiledKernel Compile(string fileName, string source, CompileTarget target)
    {
        var options = Options(target);
        var key = CacheKey(source, target, options, NvrtcVersion);
        var path = CachePath(fileName, target, key);
        if (path is not null && TryReadCache(path) is { } cached) return new CompiledKernel(fileName, target, cached, true, key);
        var image = CompileUncached(fileName, source, target, options);
        if (path is not null) TryWriteCache(path, image);
        return new CompiledKernel(fileName, target, image, false, key);
    }

    private byte[] CompileUncached(string fileName, string source, CompileTarget target, IReadOnlyList<string> options)
    {
        var api = Nvrtc;
        var sourceBytes = Encoding.UTF8.GetBytes(source + "\0");
        var nameBytes = Encoding.UTF8.GetBytes(fileName + "\0");
        nint program;
        fixed (byte* src = sourceBytes, name = nameBytes)
            api.ThrowIfFailed(api.nvrtcCreateProgram(&program, src, name, 0, null, null), $"nvrtcCreateProgram({fileName})");
        using var handle = new NvrtcProgramHandle(api, program);

        var optionBytes = options.Select(o => Encoding.UTF8.GetBytes(o + "\0")).ToArray();
        var pins = optionBytes.Select(b => GCHandle.Alloc(b, GCHandleType.Pinned)).ToArray();
        int result;
        try
        {
            var pointers = stackalloc byte*[optionBytes.Length];
            for (var i = 0; i < pins.Length; i++) pointers[i] = (byte*)pins[i].AddrOfPinnedObject();
            result = api.nvrtcCompileProgram(program, optionBytes.Length, pointers);
        }
        finally
        {
            foreach (var pin in pins) pin.Free();
        }
        var log = ReadLog(program);
        api.ThrowIfFailed(result, $"nvrtcCompileProgram({fileName}, {string.Join(' ', options)})",
            $"NVRTC {NvrtcVersion.Major}.{NvrtcVersion.Minor} log for {fileName}:\n{log}");
        return target.IsCubin ? ReadOutput(program, api.nvrtcGetCUBINSize, api.nvrtcGetCUBIN, fileName)
            : ReadOutput(program, api.nvrtcGetPTXSize, api.nvrtcGetPTX, fileName);
    }

    private string ReadLog(nint program)
    {
        nuint size;
        if (Nvrtc.nvrtcGetProgramLogSize(program, &size) != Nvrtc.Success || size <= 1) return "";
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            if (Nvrtc.nvrtcGetProgramLog(program, p) != Nvrtc.Success) return "";
        return Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1);
    }

    private byte[] ReadOutput(nint program, delegate* unmanaged<nint, nuint*, int> getSize,
        delegate* unmanaged<nint, byte*, int> get, string fileName)
    {
        nuint size;
        Nvrtc.ThrowIfFailed(getSize(program, &size), $"nvrtcGet(CUBIN|PTX)Size({fileName})");
        var image = new byte[(int)size];
        fixed (byte* p = image) Nvrtc.ThrowIfFailed(get(program, p), $"nvrtcGet(CUBIN|PTX)({fileName})");
        return image;
    }

    private static byte[]? TryReadCache(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var bytes = File.ReadAllBytes(path);
            return bytes.Length > 0 ? bytes : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;   // an unreadable cache only costs a compile
        }
    }

    private static void TryWriteCache(string path, byte[] image)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(temp, image);
            File.Move(temp, path, overwrite: true);   // atomic rename on one file system
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (Exception inner) when (inner is IOException or UnauthorizedAccessException) { }
        }
    }
}
