using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Tokenization;
using SeekSharp.IO.Tokenization.Synthetic;

namespace SeekSharp.IO.Tests.Tokenization.Synthetic;

/// <summary>The demo tokenizer we write ourselves: a tokenizer.json our loader reads and the chat format can use.</summary>
public sealed class DemoTokenizerWriterTests : IDisposable
{
    private const int VocabSize = 1024;
    private static readonly Lazy<byte[]> s_json = new(() => DemoTokenizerWriter.TokenizerJson(VocabSize));
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "seeksharp-demo-tokenizer-" + Guid.NewGuid().ToString("N"));
    private readonly DeepSeekTokenizer _tokenizer;

    public DemoTokenizerWriterTests()
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllBytes(Path.Combine(_folder, "tokenizer.json"), s_json.Value);
        _tokenizer = DeepSeekTokenizer.Load(Path.Combine(_folder, "tokenizer.json"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void EveryIdBelowTheVocabSizeIsAToken()
    {
        // an untrained model samples any id: each one must decode
        Assert.Equal(VocabSize, _tokenizer.VocabSize);
        for (var id = 0; id < VocabSize; id++) Assert.True(_tokenizer.IsKnownId(id), $"id {id} has no token");
        Assert.Equal("!", _tokenizer.IdToToken(3));          // the real vocabulary's byte symbols start at 3, in code-point order
        Assert.Equal("\u0120", _tokenizer.IdToToken(223));    // 'Ġ' (space) = 223 as in DeepSeek's file
    }

    [Theory]
    [InlineData("Hello! How are you today?")]
    [InlineData("{\"location\": \"Paris, France\", \"temperature\": 12.5, \"ok\": true}")]
    [InlineData("naïve café — 東京 👍🏽 1234567\r\n\ttabs  and  spaces ")]
    [InlineData("<｜DSML｜invoke name=\"get_weather\">\n</｜DSML｜invoke>")]
    public void TextRoundTrips(string text)
    {
        var ids = _tokenizer.EncodeToIds(text);
        Assert.All(ids, id => Assert.InRange(id, 0, VocabSize - 1));
        Assert.Equal(text, _tokenizer.Decode(ids));
    }

    [Fact]
    public void ChatMarkersAreSingleAddedTokensInTheTopIds()
    {
        Assert.Equal([0], _tokenizer.EncodeToIds(DsmlTokens.Bos));
        Assert.Equal([1], _tokenizer.EncodeToIds(DsmlTokens.Eos));
        var trailing = DeepSeekTokenizerLayout.TrailingAddedTokens;
        for (var i = 0; i < trailing.Count; i++)
            Assert.Equal([VocabSize - trailing.Count + i], _tokenizer.EncodeToIds(trailing[i].Content));
        foreach (var marker in new[] { DsmlTokens.User, DsmlTokens.Assistant, DsmlTokens.ThinkStart, DsmlTokens.ThinkEnd })
            Assert.Single(_tokenizer.EncodeToIds(marker));
        Assert.True(_tokenizer.IsSpecialToken(0));
        Assert.True(_tokenizer.IsSpecialToken(1));
        Assert.False(_tokenizer.IsSpecialToken(_tokenizer.EncodeToIds(DsmlTokens.ThinkEnd)[0]));  // survives skip_special_tokens, as in DeepSeek's file
    }

    [Theory]
    [InlineData(" the")]
    [InlineData(" weather")]
    [InlineData(" assistant")]
    [InlineData(" tool")]
    [InlineData("Hello")]
    [InlineData("DSML")]
    [InlineData("type")]
    [InlineData("\":")]
    public void CommonWordsOfTheCorpusAreSingleTokens(string word) =>
        Assert.Single(_tokenizer.EncodeToIds(word));

    [Fact]
    public void AToolConversationInTheV32FormatTokenizesAndDecodesBack()
    {
        var tool = ToolDefinition.FromJson("""{"name": "get_time", "description": "Current time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}}""");
        var conversation = new Conversation(
        [
            Message.System("You are terse.", [tool]),
            Message.User("What time is it in Tokyo?"),
            Message.Assistant(null, "Need the time.", [new ToolCall("get_time", """{"zone": "Asia/Tokyo"}""")]),
            Message.ToolResult("""{"time": "09:41"}"""),
        ], EncodeOptions.Thinking);
        var prompt = conversation.Render();
        var ids = conversation.RenderTokens(_tokenizer);

        Assert.Equal(prompt, _tokenizer.Decode(ids));
        Assert.Equal(0, ids[0]);
        int user = _tokenizer.TokenToId(DsmlTokens.User)!.Value, assistant = _tokenizer.TokenToId(DsmlTokens.Assistant)!.Value;
        int think = _tokenizer.TokenToId(DsmlTokens.ThinkStart)!.Value, thinkEnd = _tokenizer.TokenToId(DsmlTokens.ThinkEnd)!.Value;
        Assert.Equal(1, ids.Count(id => id == user));
        Assert.Equal(1, ids.Count(id => id == assistant));
        Assert.Equal(1, ids.Count(id => id == 1));                         // the assistant turn's EOS
        Assert.Equal(think, ids[^1]);                                       // after tool results the model thinks again
        Assert.Contains(thinkEnd, ids);                                     // the kept reasoning of the ongoing tool loop
        // merges learned from English, JSON and DSML: far fewer tokens than UTF-8 bytes
        Assert.True(ids.Count * 3 < System.Text.Encoding.UTF8.GetByteCount(prompt), $"{ids.Count} tokens for {prompt.Length} chars");
    }

    [Fact]
    public void PreTokenizerAndAddedTokensAreThoseOfTheRealConfiguration()
    {
        // the golden stand-in tokenizer carries DeepSeek's exact pre-tokenizer and added-token strings and flags
        using var golden = JsonDocument.Parse(File.ReadAllBytes(TokenizerGolden.PathOf(TokenizerGolden.PairMerges)));
        using var ours = JsonDocument.Parse(s_json.Value);
        Assert.True(JsonElement.DeepEquals(golden.RootElement.GetProperty("pre_tokenizer"), ours.RootElement.GetProperty("pre_tokenizer")));
        var expected = golden.RootElement.GetProperty("added_tokens").EnumerateArray()
            .Where(t => !t.GetProperty("content").GetString()!.Contains("place\u2581holder"))
            .Select(t => (t.GetProperty("content").GetString(), t.GetProperty("special").GetBoolean()));
        var actual = ours.RootElement.GetProperty("added_tokens").EnumerateArray()
            .Select(t => (t.GetProperty("content").GetString(), t.GetProperty("special").GetBoolean()));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void PiecesMatchHuggingFaceOnTheGoldenCases()
    {
        var checkedCases = 0;
        foreach (var golden in TokenizerGolden.Cases.Where(c => c.PreTokens is not null))
        {
            Assert.Equal(golden.PreTokens!, _tokenizer.PreTokenize(golden.Text));
            checkedCases++;
        }
        Assert.True(checkedCases > 100, $"only {checkedCases} cases");
    }

    [Fact]
    public void WritingIsDeterministicAndWritesTheConfigToo()
    {
        Assert.Equal(s_json.Value, DemoTokenizerWriter.TokenizerJson(VocabSize));
        DemoTokenizerWriter.Write(_folder, VocabSize, maxContextTokens: 4096);
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_folder, DemoTokenizerWriter.TokenizerConfigFileName)));
        Assert.False(config.RootElement.GetProperty("add_bos_token").GetBoolean());
        Assert.Equal(DsmlTokens.Eos, config.RootElement.GetProperty("eos_token").GetString());
        Assert.Equal(s_json.Value, File.ReadAllBytes(Path.Combine(_folder, DemoTokenizerWriter.TokenizerFileName)));
    }

    [Fact]
    public void AVocabularyTooSmallForTheFixedTokensIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DemoTokenizerWriter.TokenizerJson(DemoTokenizerWriter.MinimumVocabSize - 1));
}
