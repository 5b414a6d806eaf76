using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SeekSharp.Server.Benchmarking;

namespace SeekSharp.Cli.Commands.Serve;

/// <summary>
/// `seek bench serve`: load against a running OpenAI-compatible server, in the manner of `vllm bench serve`
/// (random dataset): N requests with random input/output lengths at a Poisson request rate; req/s, output tok/s,
/// TTFT/TPOT/ITL mean, median and p99, and the prefix-cache hit rate from the server's /metrics.
/// </summary>
internal static class BenchServeCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Server base URL", DefaultValueFactory = _ => "http://127.0.0.1:8000" };
        var model = new Option<string?>("--model") { Description = "Model id to send (default: the first of /v1/models)" };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer key, when the server requires one" };
        var count = new Option<int>("--num-requests") { Description = "Requests to send", DefaultValueFactory = _ => 100 };
        var rate = new Option<string>("--request-rate") { Description = "Requests per second (Poisson arrivals) or inf for all at once", DefaultValueFactory = _ => "inf" };
        var concurrency = new Option<int>("--max-concurrency") { Description = "Most requests in flight (0 = unlimited)", DefaultValueFactory = _ => 0 };
        var input = new Option<int>("--input-len") { Description = "Mean prompt length in tokens", DefaultValueFactory = _ => 128 };
        var output = new Option<int>("--output-len") { Description = "Mean output length in tokens", DefaultValueFactory = _ => 64 };
        var range = new Option<double>("--range-ratio") { Description = "Lengths drawn uniformly from len·[1−r, 1+r]", DefaultValueFactory = _ => 0.0 };
        var prefix = new Option<int>("--prefix-len") { Description = "Random tokens every prompt starts with (prefix-cache traffic)", DefaultValueFactory = _ => 0 };
        var maxId = new Option<int>("--max-token-id") { Description = "Prompt token ids are drawn from 3..this", DefaultValueFactory = _ => 2999 };
        var seed = new Option<int>("--seed") { Description = "Seed of lengths, prompts and arrivals", DefaultValueFactory = _ => 0 };
        var jsonOut = new Option<string?>("--json-out") { Description = "Also write the result as JSON here" };
        var command = new Command("serve", "Benchmark a running server: throughput and TTFT/TPOT/ITL percentiles (like vllm bench serve)")
        {
            url, model, apiKey, count, rate, concurrency, input, output, range, prefix, maxId, seed, jsonOut,
        };
        command.SetAction(r => CliRunner.Run(() =>
        {
            var options = new ServeBenchmarkOptions
            {
                BaseUrl = ParseUrl(r.GetValue(url)!),
                Model = r.GetValue(model),
                ApiKey = r.GetValue(apiKey),
                NumRequests = Positive(r.GetValue(count), "--num-requests"),
                RequestRate = ParseRate(r.GetValue(rate)!),
                MaxConcurrency = Math.Max(0, r.GetValue(concurrency)),
                InputLength = Positive(r.GetValue(input), "--input-len"),
                OutputLength = Positive(r.GetValue(output), "--output-len"),
                RangeRatio = r.GetValue(range) is var ratio and >= 0 and < 1 ? ratio : throw new CliUsageException("--range-ratio: expected 0 <= r < 1"),
                PrefixLength = Math.Max(0, r.GetValue(prefix)),
                LastTokenId = r.GetValue(maxId) is var last and > 3 ? last : throw new CliUsageException("--max-token-id: expected more than 3"),
                Seed = r.GetValue(seed),
            };
            Console.WriteLine($"benchmarking {options.BaseUrl}: {options.NumRequests} requests, rate {r.GetValue(rate)}, input {options.InputLength}, output {options.OutputLength}");
            ServeBenchmarkResult result;
            try
            {
                result = new ServeBenchmark(options).RunAsync(Console.Out).GetAwaiter().GetResult();
            }
            catch (HttpRequestException e)
            {
                throw new CliUsageException($"--url {options.BaseUrl}: {e.Message}");
            }
            if (r.GetValue(jsonOut) is { } path)
                File.WriteAllText(path, JsonSerializer.Serialize(result, BenchmarkJsonContext.Default.ServeBenchmarkResult));
            return result.Failed == 0 ? 0 : 1;
        }));
        return command;
    }

    private static Uri ParseUrl(string text) =>
        Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new CliUsageException($"--url '{text}': expected an http(s) URL");

    private static double ParseRate(string text) =>
        text is "inf" or "infinity" ? double.PositiveInfinity
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate > 0 ? rate
        : throw new CliUsageException($"--request-rate '{text}': expected a positive number or inf");

    private static int Positive(int value, string name) => value > 0 ? value : throw new CliUsageException($"{name}: expected a positive number");
}
