using System.CommandLine;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Compute.Host;
using SeekSharp.Cpu;
using SeekSharp.Cuda;
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
        Description = "cuda (first GPU, or SEEKSHARP_CUDA_DEVICE), cpu (SIMD, worker pool), reference (plain scalar oracle) or auto (cuda when a supported GPU works, else cpu)",
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

    /// <summary>The compute device for --device; the caller (or the model it is given to) owns it.</summary>
    public static IComputeDevice CreateDevice(string device, int threads) => device switch
    {
        "cpu" => Cpu(threads),
        "reference" => new HostDevice(new ScalarBackend(), ownsBackend: true),
        "cuda" => OpenCuda(),
        "auto" => CudaAvailability.Default.IsAvailable ? OpenCuda() : Cpu(threads),
        _ => throw new CliUsageException($"--device '{device}': expected cuda, cpu, reference or auto"),
    };

    private static HostDevice Cpu(int threads) => new(new CpuBackend(threads), ownsBackend: true);

    private static CudaDevice OpenCuda()
    {
        try
        {
            return CudaDevice.Create();
        }
        catch (InvalidOperationException e)
        {
            // The probe's one sentence: no driver, no GPU, unsupported architecture or a missing library.
            throw new CliUsageException($"--device cuda: {e.Message}");
        }
    }

    /// <summary>Loads a model onto <paramref name="device"/> (the model owns it from here), showing progress on an interactive terminal.</summary>
    public static DeepSeekV32Model LoadModel(string directory, IComputeDevice device, int? indexTopk, bool fp8LatentCache = false)
    {
        if (!Directory.Exists(directory))
        {
            device.Dispose();
            throw new CliUsageException($"--model '{directory}': folder not found");
        }
        var options = new ModelOptions { IndexTopkOverride = indexTopk, Fp8LatentCache = fp8LatentCache };
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
            return DeepSeekV32Model.Load(directory, device, options, ownsDevice: true);
        DeepSeekV32Model? model = null;
        AnsiConsole.Progress().AutoClear(true).Start(progress =>
        {
            var task = progress.AddTask($"loading {Path.GetFileName(Path.TrimEndingDirectorySeparator(directory))} on {device.Name}", maxValue: 1.0);
            model = DeepSeekV32Model.Load(directory, device, options, new Progress<double>(v => task.Value = v), ownsDevice: true);
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
