using SeekSharp.IO.Config;
using SeekSharp.IO.Tokenization.Synthetic;

namespace SeekSharp.Models.DeepSeekV32.Synthetic;

/// <summary>
/// The embedded default model: SeekSharp's small UNTRAINED DeepSeek-V3.2-architecture checkpoint (random weights,
/// fixed seed, <see cref="SyntheticConfigs.Demo"/>) together with its tokenizer (<see cref="DemoTokenizerWriter"/>),
/// so `seek chat` and `seek serve` run without a download. Its text is gibberish: the weights are random.
/// </summary>
public static class DemoModel
{
    public const int Seed = 20251201;

    /// <summary>Bumped whenever the written files change, so caches of an older demo are rewritten.</summary>
    public const string Version = "2";

    /// <summary>Written last: a folder without it (or with another version in it) is incomplete.</summary>
    public const string CompleteMarkerFileName = ".seeksharp-demo-complete";

    /// <summary>What serve and chat call the model when no --model is given.</summary>
    public const string ModelId = "seeksharp-demo-untrained";

    public static DeepSeekConfig Config { get; } = DeepSeekConfig.Parse(SyntheticConfigs.Demo, "demo config");

    /// <summary>The cache folder: $XDG_CACHE_HOME or ~/.cache (Unix), LocalApplicationData (Windows), else the temp folder.</summary>
    public static string DefaultDirectory => Path.Combine(CacheRoot(), "seeksharp", $"demo-v32-{Version}");

    /// <summary>Writes checkpoint, config, tokenizer.json and tokenizer_config.json into <paramref name="directory"/>.</summary>
    public static void Write(string directory)
    {
        RandomCheckpointWriter.Write(directory, Config, Seed);
        DemoTokenizerWriter.Write(directory, Config.VocabSize, Config.MaxPositionEmbeddings);
        File.WriteAllText(Path.Combine(directory, CompleteMarkerFileName), Version);
    }

    /// <summary>True when <paramref name="directory"/> holds a complete demo model of this version.</summary>
    public static bool IsComplete(string directory)
    {
        var marker = Path.Combine(directory, CompleteMarkerFileName);
        return File.Exists(marker) && File.ReadAllText(marker).Trim() == Version
            && File.Exists(Path.Combine(directory, DemoTokenizerWriter.TokenizerFileName))
            && File.Exists(Path.Combine(directory, "config.json"));
    }

    /// <summary>
    /// The folder of a complete demo model: <paramref name="directory"/> (default <see cref="DefaultDirectory"/>),
    /// written first when it is missing or incomplete. Writes into a sibling folder and renames it into place, so
    /// two processes starting at once never see half a model.
    /// </summary>
    public static string EnsureWritten(string? directory = null)
    {
        var target = Path.GetFullPath(directory ?? DefaultDirectory);
        if (IsComplete(target)) return target;
        var staging = $"{Path.TrimEndingDirectorySeparator(target)}.writing-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            Write(staging);
            if (Directory.Exists(target) && !IsComplete(target)) Directory.Delete(target, recursive: true);
            if (!Directory.Exists(target)) Directory.Move(staging, target);
        }
        catch (IOException) when (IsComplete(target))
        {
            // another process finished first
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        if (!IsComplete(target)) throw new IOException($"could not write the demo model to {target}");
        return target;
    }

    private static string CacheRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return xdg;
        if (!OperatingSystem.IsWindows())
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (!string.IsNullOrEmpty(home)) return Path.Combine(home, ".cache");
        }
        var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        return string.IsNullOrEmpty(local) ? Path.GetTempPath() : local;
    }
}
