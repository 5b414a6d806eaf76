using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SeekSharp.Cli.Tests;

/// <summary>`seek serve` and `seek bench serve` as real processes, talking over loopback.</summary>
public sealed partial class ServeCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "seeksharp-serve-tests-" + Guid.NewGuid().ToString("N"));

    public ServeCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("auto")]
    [InlineData("fp8")]      // the FP8 latent cache: 132-byte latent rows for the demo's kv_lora 128
    public async Task BenchServeMeasuresARunningSeekServe(string kvCacheDtype)
    {
        // no --model: the untrained demo model (written into the redirected user cache); port 0 = any free port
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(_folder, "cache");
        foreach (var a in new[] { SeekProcess.SeekDll, "serve", "--device", "cpu", "--port", "0", "--kv-cache-dtype", kvCacheDtype })
            start.ArgumentList.Add(a);
        using var server = Process.Start(start)!;
        try
        {
            var url = await ReadServingUrlAsync(server);
            var jsonOut = Path.Combine(_folder, "bench.json");

            var (exit, stdout, stderr) = SeekProcess.Run("bench", "serve", "--url", url, "--num-requests", "4", "--input-len", "8",
                "--output-len", "3", "--max-token-id", "1000", "--json-out", jsonOut);

            Assert.True(exit == 0, stderr + stdout);
            Assert.Matches(@"Successful requests:\s+4", stdout);
            Assert.Contains("Median TTFT (ms):", stdout);
            using var result = JsonDocument.Parse(File.ReadAllText(jsonOut));
            Assert.Equal(4, result.RootElement.GetProperty("completed").GetInt32());
            Assert.Equal(12, result.RootElement.GetProperty("total_output_tokens").GetInt64());
            Assert.Equal("seeksharp-demo-untrained", result.RootElement.GetProperty("model").GetString());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void ServeRefusesAMissingModelFolderWithOneLine()
    {
        var (exit, _, stderr) = SeekProcess.Run("serve", "--model", Path.Combine(_folder, "nowhere"), "--port", "0");
        Assert.Equal(2, exit);
        Assert.StartsWith("error:", stderr.Trim());
    }

    [Fact]
    public void ServeHelpListsTheRealWidthOptionAndRefusesItWithAModel()
    {
        var (helpExit, help, _) = SeekProcess.Run("serve", "--help");
        var (exit, _, stderr) = SeekProcess.Run("serve", "--real-width-layers", "3", "--model", _folder, "--port", "0");

        Assert.Equal(0, helpExit);
        Assert.Contains("--real-width-layers", help);
        Assert.NotEqual(0, exit);
        Assert.Contains("--real-width-layers", stderr);
    }

    [Fact]
    public void ServeHelpListsTheCacheAndGraphOptionsAndRefusesAnUnknownCacheType()
    {
        var (helpExit, help, _) = SeekProcess.Run("serve", "--help");
        var (exit, _, stderr) = SeekProcess.Run("serve", "--kv-cache-dtype", "fp4", "--port", "0");

        Assert.Equal(0, helpExit);
        Assert.Contains("--kv-cache-dtype", help);
        Assert.Contains("--enforce-eager", help);
        Assert.NotEqual(0, exit);
        Assert.Contains("fp4", stderr);
    }

    [Fact]
    public void BenchServeWithoutAServerFailsWithOneLine()
    {
        var (exit, _, stderr) = SeekProcess.Run("bench", "serve", "--url", "http://127.0.0.1:9", "--num-requests", "1");
        Assert.Equal(2, exit);
        Assert.Contains("--url", stderr);
    }

    private static async Task<string> ReadServingUrlAsync(Process server)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));   // a hang guard for a server that never comes up, not a timing assertion
        while (await server.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = ServingLine().Match(line);
            if (match.Success) return match.Groups[1].Value;
        }
        throw new InvalidOperationException($"seek serve exited before serving: {await server.StandardError.ReadToEndAsync(timeout.Token)}");
    }

    [GeneratedRegex(@"^serving .* on (http://\S+)")]
    private static partial Regex ServingLine();
}
