using System.Runtime.InteropServices;

namespace SeekSharp.Cuda.Interop;

/// <summary>A native library found and loaded: where it came from and its OS handle.</summary>
public sealed record LoadedLibrary(LibrarySpec Spec, string Path, nint Handle);

/// <summary>
/// Where CUDA libraries are looked for, in order: <c>CUDA_HOME</c>/<c>CUDA_PATH</c> (lib64, lib),
/// /usr/local/cuda/lib64, the <c>LD_LIBRARY_PATH</c> entries, the pip wheel layout (<c>site-packages/nvidia/cu13/lib</c>,
/// then <c>site-packages/nvidia/*/lib</c>) of the active virtual environment, conda, /opt/*/.venv and the user and system
/// Python directories; finally, when <see cref="UseSystemLoader"/>, the bare file name through the OS loader (ldconfig
/// paths, where the driver's libcuda.so.1 normally lives).
/// </summary>
public sealed class LibrarySearch(IReadOnlyList<string> directories, bool useSystemLoader = true)
{
    /// <summary>Directories tried, in order (existing or not: messages list what was searched).</summary>
    public IReadOnlyList<string> Directories { get; } = directories;

    /// <summary>Whether the bare file names are also handed to the OS loader after the directories.</summary>
    public bool UseSystemLoader { get; } = useSystemLoader;

    /// <summary>The search for this process's environment.</summary>
    public static LibrarySearch Default => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>The search an environment implies (<paramref name="environment"/> returns a variable's value or null).</summary>
    public static LibrarySearch FromEnvironment(Func<string, string?> environment, bool useSystemLoader = true)
    {
        var dirs = new List<string>();
        foreach (var variable in new[] { "CUDA_HOME", "CUDA_PATH" })
        {
            if (environment(variable) is { Length: > 0 } root)
            {
                dirs.Add(Path.Combine(root, "lib64"));
                dirs.Add(Path.Combine(root, "lib"));
                if (OperatingSystem.IsWindows()) dirs.Add(Path.Combine(root, "bin"));
            }
        }
        dirs.Add("/usr/local/cuda/lib64");
        if (environment("LD_LIBRARY_PATH") is { Length: > 0 } ldPath)
            dirs.AddRange(ldPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var sitePackages in SitePackages(environment))
            dirs.AddRange(PipLibraryDirectories(sitePackages));
        return new LibrarySearch(dirs.Distinct(StringComparer.Ordinal).ToList(), useSystemLoader);
    }

    /// <summary>The nvidia wheel library folders under one site-packages folder: nvidia/cu13/lib first, then nvidia/*/lib.</summary>
    public static IEnumerable<string> PipLibraryDirectories(string sitePackages)
    {
        var nvidia = Path.Combine(sitePackages, "nvidia");
        if (!Directory.Exists(nvidia)) yield break;
        var cu13 = Path.Combine(nvidia, "cu13", "lib");
        if (Directory.Exists(cu13)) yield return cu13;
        foreach (var package in SafeEnumerate(nvidia).Order(StringComparer.Ordinal))
        {
            var lib = Path.Combine(package, "lib");
            if (lib != cu13 && Directory.Exists(lib)) yield return lib;
        }
    }

    /// <summary>
    /// Tries every candidate file name in every directory, then (if allowed) through the OS loader; null when none loads.
    /// </summary>
    public LoadedLibrary? TryLoad(LibrarySpec spec)
    {
        foreach (var dir in Directories)
        {
            foreach (var name in spec.FileNames)
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return new LoadedLibrary(spec, path, handle);
            }
        }
        if (UseSystemLoader)
        {
            foreach (var name in spec.FileNames)
                if (NativeLibrary.TryLoad(name, out var handle)) return new LoadedLibrary(spec, name, handle);
        }
        return null;
    }

    /// <summary>One sentence saying that <paramref name="spec"/> was not found and where we looked.</summary>
    public string DescribeMissing(LibrarySpec spec)
    {
        var where = Directories.Count == 0 ? "no directories" : string.Join(", ", Directories);
        var loader = UseSystemLoader ? " and the system library path" : "";
        return $"{spec.Display} was not found: looked for {string.Join(", ", spec.FileNames)} in {where}{loader} " +
            "(set CUDA_HOME or LD_LIBRARY_PATH to the folder holding it).";
    }

    private static IEnumerable<string> SitePackages(Func<string, string?> environment)
    {
        var roots = new List<string>();
        foreach (var variable in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
            if (environment(variable) is { Length: > 0 } prefix) roots.Add(Path.Combine(prefix, "lib"));
        foreach (var opt in SafeEnumerate("/opt")) roots.Add(Path.Combine(opt, ".venv", "lib"));
        if (environment("HOME") is { Length: > 0 } home) roots.Add(Path.Combine(home, ".local", "lib"));
        roots.Add("/usr/local/lib");
        roots.Add("/usr/lib");
        foreach (var root in roots)
        {
            foreach (var python in SafeEnumerate(root, "python3*").Order(StringComparer.Ordinal))
            {
                foreach (var leaf in new[] { "site-packages", "dist-packages" })
                {
                    var dir = Path.Combine(python, leaf);
                    if (Directory.Exists(dir)) yield return dir;
                }
            }
        }
    }

    private static IEnumerable<string> SafeEnumerate(string dir, string pattern = "*")
    {
        try
        {
            return Directory.Exists(dir) ? Directory.GetDirectories(dir, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
