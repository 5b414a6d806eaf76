using SeekSharp.IO.Tokenization;
using SeekSharp.IO.Tokenization.Synthetic;
using SeekSharp.Models.DeepSeekV32.Synthetic;

[assembly: AssemblyFixture(typeof(SeekSharp.Agents.Tests.DemoModelFixture))]

namespace SeekSharp.Agents.Tests;

/// <summary>The demo model (untrained checkpoint + our tokenizer), written once per test run into a temp folder.</summary>
public sealed class DemoModelFixture : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "seeksharp-agents-tests-" + Guid.NewGuid().ToString("N"));

    public DemoModelFixture()
    {
        Directory = DemoModel.EnsureWritten(Path.Combine(_root, "demo"));
        Tokenizer = DeepSeekTokenizer.Load(Path.Combine(Directory, DemoTokenizerWriter.TokenizerFileName));
    }

    public string Directory { get; }

    public DeepSeekTokenizer Tokenizer { get; }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(_root)) System.IO.Directory.Delete(_root, recursive: true);
    }
}
