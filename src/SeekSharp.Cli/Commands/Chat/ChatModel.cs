using SeekSharp.Engine;
using SeekSharp.IO.Tokenization;
using SeekSharp.IO.Tokenization.Synthetic;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Cli.Commands.Chat;

/// <summary>The model `seek chat` talks to: a checkpoint folder (or the built-in demo), its tokenizer, and an engine over it.</summary>
internal sealed class ChatModel : IAsyncDisposable
{
    private ChatModel(IInferenceEngine engine, DeepSeekTokenizer tokenizer, string modelId, string description)
    {
        Engine = engine;
        Tokenizer = tokenizer;
        ModelId = modelId;
        Description = description;
    }

    public IInferenceEngine Engine { get; }

    public DeepSeekTokenizer Tokenizer { get; }

    public string ModelId { get; }

    /// <summary>One line for the user: which model, and for the demo that it is untrained.</summary>
    public string Description { get; }

    public static ChatModel Open(string? directory, string device, int threads)
    {
        var demo = directory is null;
        var folder = directory ?? DemoModel.EnsureWritten();
        if (!Directory.Exists(folder)) throw new CliUsageException($"--model '{folder}': folder not found");
        var tokenizerPath = Path.Combine(folder, DemoTokenizerWriter.TokenizerFileName);
        if (!File.Exists(tokenizerPath)) throw new CliUsageException($"--model '{folder}': no tokenizer.json there (chat needs the checkpoint's tokenizer)");
        var tokenizer = DeepSeekTokenizer.Load(tokenizerPath);
        var modelId = demo ? DemoModel.ModelId : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        var engine = ChatEngineFactory.Open(folder, modelId, device, threads);
        var description = demo
            ? $"model: the built-in demo ({folder}) — UNTRAINED random weights, its replies are gibberish; pass --model DIR for a real checkpoint"
            : $"model: {modelId} ({folder})";
        return new ChatModel(engine, tokenizer, modelId, description);
    }

    public ValueTask DisposeAsync() => Engine.DisposeAsync();
}
