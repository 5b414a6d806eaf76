using SeekSharp.IO.Tokenization;
using SeekSharp.IO.Tokenization.Synthetic;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Agents.Tests;

/// <summary>The embedded default model: checkpoint and tokenizer written together, kept in a cache, rewritten when incomplete.</summary>
public sealed class DemoModelTests(DemoModelFixture demo) : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "seeksharp-demo-model-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void TheTokenizerFitsTheCheckpointAndCarriesTheChatMarkers()
    {
        Assert.True(DemoModel.IsComplete(demo.Directory));
        Assert.Equal(DemoModel.Config.VocabSize, demo.Tokenizer.VocabSize);
        Assert.True(File.Exists(Path.Combine(demo.Directory, DemoTokenizerWriter.TokenizerConfigFileName)));
        Assert.Contains("UNTRAINED", File.ReadAllText(Path.Combine(demo.Directory, "README.md")));
        Assert.NotNull(demo.Tokenizer.TokenToId(IO.Chat.DsmlTokens.Assistant));
    }

    [Fact]
    public void EnsureWrittenReusesACompleteFolderAndRewritesAnIncompleteOne()
    {
        var dir = DemoModel.EnsureWritten(Path.Combine(_folder, "demo"));
        var tokenizer = Path.Combine(dir, DemoTokenizerWriter.TokenizerFileName);
        var written = File.GetLastWriteTimeUtc(tokenizer);

        Assert.Equal(dir, DemoModel.EnsureWritten(dir));
        Assert.Equal(written, File.GetLastWriteTimeUtc(tokenizer));                     // complete: left alone

        File.Delete(tokenizer);
        Assert.False(DemoModel.IsComplete(dir));
        Assert.Equal(dir, DemoModel.EnsureWritten(dir));
        Assert.True(DemoModel.IsComplete(dir));
        Assert.Equal(demo.Tokenizer.VocabSize, DeepSeekTokenizer.Load(tokenizer).VocabSize);
        Assert.Empty(Directory.GetDirectories(_folder, "demo.writing-*"));              // no staging folder left behind
    }

    [Fact]
    public void TheDefaultFolderIsUnderTheUserCache()
    {
        var folder = DemoModel.DefaultDirectory;
        Assert.Contains(Path.Combine("seeksharp", "demo-v32-" + DemoModel.Version), folder);
        Assert.True(Path.IsPathRooted(folder));
    }
}
