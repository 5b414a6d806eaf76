using System.CommandLine;
using SeekSharp.Core.Backend;
using SeekSharp.Cpu;
using SeekSharp.Models.DeepSeekV32;
using Spectre.Console;

namespace SeekSharp.Cli.Commands;

/// <summary>Options shared by the verbs that load a model, and how they become a backend and a model.</summary>
internal static class ModelCommandOptions
{
    public static Option<string> Model(bool required = true) => new("--model")
    {
        Description = "Checkpoint folder in the Hugging Face layout (config.json, *.safetensors, index)",
        Required = required,
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu (SIMD, worker pool), reference (plain scalar oracle) or auto",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads for the cpu backend (default: all cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<int?> IndexTopk() => new("--index-topk")
    {
        Description = "Override index_topk (e.g. a huge value for dense attention, for experiments)",
    };

    public static IBackend CreateBackend(string device, int threads) => device switch
    {
        "cpu" or "auto" => new CpuBackend(threads),
        "reference" => new ScalarBackend(),
        "cuda" => throw new CliUsageException("--device cuda: the CUDA backend is not part of this build yet; use cpu"),
        _ => throw new CliUsageException($"--device '{device}': expected cpu, reference or auto"),
    };

    /// <summary>Loads a model, showing progress on an interactive terminal.</summary>
    public static DeepSeekV32Model LoadModel(string directory, IBackend backend, int? indexTopk)
    {
        if (!Directory.Exists(directory)) throw new CliUsageException($"--model '{directory}': folder not found");
        var options = new ModelOptions { IndexTopkOverride = indexTopk };
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
            return DeepSeekV32Model.Load(directory, backend, options);
        DeepSeekV32Model? model = null;
        AnsiConsole.Progress().AutoClear(true).Start(progress =>
        {
            var task = progress.AddTask($"loading {Path.GetFileName(Path.TrimEndingDirectorySeparator(directory))}", maxValue: 1.0);
            model = DeepSeekV32Model.Load(directory, backend, options, new Progress<double>(v => task.Value = v));
            task.Value = 1.0;
        });
        return model!;
    }

    /// <summary>Parses "0 5 9" or "0,5,9" into token ids.</summary>
    public static int[] ParseIds(string text, string optionName)
    {
        var parts = text.Split([' ', ',', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out ids[i]) || ids[i] < 0)
                throw new CliUsageException($"{optionName}: '{parts[i]}' is not a token id (a non-negative integer)");
        if (ids.Length == 0) throw new CliUsageException($"{optionName}: no token ids given");
        return ids;
    }
}

/// <summary>A user error on the command line: printed as one line on stderr, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
