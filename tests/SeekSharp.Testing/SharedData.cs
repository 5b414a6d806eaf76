namespace SeekSharp.Testing;

/// <summary>Finds the workplace's read-only shared folder (golden outputs, checkpoints).</summary>
public static class SharedData
{
    /// <summary>SEEKSHARP_SHARED when set, else the first ../shared found walking up from the test binary.</summary>
    public static string Root { get; } = Locate();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string GoldenModel(string name) => Path("golden", "model", name);

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SEEKSHARP_SHARED");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(System.IO.Path.Combine(candidate, "golden"))) return candidate;
            candidate = System.IO.Path.Combine(dir.FullName, "..", "shared");
            if (Directory.Exists(System.IO.Path.Combine(candidate, "golden"))) return System.IO.Path.GetFullPath(candidate);
        }
        throw new DirectoryNotFoundException("shared data not found: set SEEKSHARP_SHARED or place the checkout next to ../shared");
    }
}
