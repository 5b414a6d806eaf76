using System.Diagnostics;
using System.Text;

namespace SeekSharp.Cli.Tests;

/// <summary>Runs the built `seek` (seek.dll next to the tests) as a real process.</summary>
internal static class SeekProcess
{
    public static string SeekDll => Path.Combine(AppContext.BaseDirectory, "seek.dll");

    /// <summary>Exit code, stdout and stderr decoded as UTF-8 text.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        var (exit, stdout, stderr) = RunBytes(args);
        return (exit, Encoding.UTF8.GetString(stdout), stderr);
    }

    /// <summary>Exit code, stdout's exact bytes and stderr.</summary>
    public static (int Exit, byte[] Stdout, string Stderr) RunBytes(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SeekDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"seek {string.Join(' ', args)} did not finish");
        }
        copy.Wait();
        return (process.ExitCode, stdout.ToArray(), stderr.Result);
    }
}
