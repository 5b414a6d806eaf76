using System.Reflection;

namespace SeekSharp.Cuda.Compilation;

/// <summary>
/// The .cu files embedded in this assembly (resource names Kernels/&lt;file&gt;). Every kernel file is compiled with
/// <see cref="CommonHeader"/> pasted in front of it: kernels include nothing, because no CUDA header is guaranteed to
/// exist where we run; common.cuh holds our own bf16/e4m3 helpers.
/// </summary>
public static class KernelSources
{
    public const string CommonHeader = "common.cuh";
    private const string Prefix = "Kernels/";

    private static readonly Assembly s_assembly = typeof(KernelSources).Assembly;

    /// <summary>Names of every embedded kernel file ("elementwise.cu", ...), sorted.</summary>
    public static IReadOnlyList<string> KernelFiles { get; } = s_assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".cu", StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>"elementwise" and "elementwise.cu" both name elementwise.cu.</summary>
    public static string Normalize(string cuFileName) =>
        cuFileName.EndsWith(".cu", StringComparison.Ordinal) ? cuFileName : cuFileName + ".cu";

    /// <summary>The text of one embedded file.</summary>
    public static string Read(string fileName)
    {
        using var stream = s_assembly.GetManifestResourceStream(Prefix + fileName)
            ?? throw new FileNotFoundException($"no embedded kernel file {fileName} (have: {string.Join(", ", KernelFiles)})", fileName);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// What NVRTC compiles for <paramref name="cuFileName"/>: common.cuh, then the file, with #line markers so NVRTC's
    /// messages name the right file and line.
    /// </summary>
    public static string Compose(string cuFileName)
    {
        var name = Normalize(cuFileName);
        return $"#line 1 \"{CommonHeader}\"\n{Read(CommonHeader)}\n#line 1 \"{name}\"\n{Read(name)}";
    }
}
