using System.Text.Json.Serialization;

namespace SeekSharp.Server.Benchmarking;

/// <summary>Source-generated JSON for the benchmark's requests and its result file.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(ServeBenchmarkResult))]
public sealed partial class BenchmarkJsonContext : JsonSerializerContext;
