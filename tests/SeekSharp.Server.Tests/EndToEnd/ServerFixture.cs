using SeekSharp.Cpu;
using SeekSharp.Engine;
using SeekSharp.IO.Tokenization;
using SeekSharp.Server.Hosting;

[assembly: AssemblyFixture(typeof(SeekSharp.Server.Tests.EndToEnd.ServerFixture))]

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>
/// One real server for the end-to-end tests: the test model on the CPU behind the engine, the golden tokenizer,
/// Kestrel on a free loopback port. A second server over the same engine requires an API key.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string ModelName = "seeksharp-test";
    public const string ApiKey = "sk-test-key";

    private CpuBackend? _backend;

    public IInferenceEngine Engine { get; private set; } = null!;

    public DeepSeekTokenizer Tokenizer => TestTokenizer.Instance;

    public SeekSharpServer Server { get; private set; } = null!;

    public SeekSharpServer KeyedServer { get; private set; } = null!;

    public Uri BaseAddress => Server.BaseAddress;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(5) };

    public async ValueTask InitializeAsync()
    {
        _backend = new CpuBackend(Math.Max(1, Environment.ProcessorCount));
        Engine = LlmEngine.Load(TestModel.Directory, _backend, new EngineOptions { ModelName = ModelName });
        Server = SeekSharpServer.Create(Engine, Tokenizer, new ServerListenOptions("127.0.0.1", 0), new OpenAiServerOptions { ModelAliases = ["deepseek-chat"] });
        await Server.StartAsync();
        KeyedServer = SeekSharpServer.Create(Engine, Tokenizer, new ServerListenOptions("127.0.0.1", 0), new OpenAiServerOptions { ApiKey = ApiKey });
        await KeyedServer.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await KeyedServer.DisposeAsync();
        await Server.DisposeAsync();
        await Engine.DisposeAsync();
        _backend?.Dispose();
    }

    public Uri Url(string path) => new(BaseAddress, path);
}
