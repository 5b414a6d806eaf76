using SeekSharp.IO.Tokenization;
using SeekSharp.Testing;

namespace SeekSharp.Server.Tests;

/// <summary>The shared golden stand-in tokenizer (real pipeline and special tokens, 3,021 ids), loaded once.</summary>
public static class TestTokenizer
{
    private static readonly Lazy<DeepSeekTokenizer> s_instance =
        new(() => DeepSeekTokenizer.Load(SharedData.Path("golden", "tokenizer", "tokenizer.json")));

    public static DeepSeekTokenizer Instance => s_instance.Value;
}
