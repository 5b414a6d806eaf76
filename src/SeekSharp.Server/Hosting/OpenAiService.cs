using SeekSharp.Engine;
using SeekSharp.IO.Tokenization;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Metrics;
using SeekSharp.Server.Responses;

namespace SeekSharp.Server.Hosting;

/// <summary>What every endpoint shares: the engine, the tokenizer, the served names, the options and the metrics.</summary>
public sealed class OpenAiService
{
    private readonly HashSet<string> _names;

    public OpenAiService(IInferenceEngine engine, DeepSeekTokenizer tokenizer, OpenAiServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Engine = engine;
        Tokenizer = tokenizer;
        Options = options ?? new OpenAiServerOptions();
        ModelName = Options.ServedModelName ?? engine.Model.Name;
        ModelNames = [.. new[] { ModelName }.Concat(Options.ModelAliases).Distinct(StringComparer.Ordinal)];
        _names = new HashSet<string>(ModelNames, StringComparer.Ordinal);
        TokenStrings = new TokenStrings(tokenizer);
        ApiKey = Options.ApiKey is { Length: > 0 } key ? new ApiKeyCheck(key) : null;
    }

    public IInferenceEngine Engine { get; }

    public DeepSeekTokenizer Tokenizer { get; }

    public OpenAiServerOptions Options { get; }

    public string ModelName { get; }

    /// <summary>The served name first, then the aliases.</summary>
    public IReadOnlyList<string> ModelNames { get; }

    public TokenStrings TokenStrings { get; }

    public ServerMetrics Metrics { get; } = new();

    public ApiKeyCheck? ApiKey { get; }

    /// <summary>Unix seconds the service started (the "created" of /v1/models).</summary>
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>The model id to answer with; 404 when the request names another model.</summary>
    public string ResolveModel(string requested) =>
        _names.Contains(requested) ? requested : throw ApiException.ModelNotFound(requested);
}
