using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Chat.Mapping;
using SeekSharp.IO.Tokenization;
using SeekSharp.Testing;

namespace SeekSharp.IO.Tests.Chat;

/// <summary>A conversation renders to token ids in one call, through the real tokenizer.</summary>
public sealed class ConversationTokenizationTests
{
    [Fact]
    public void RenderTokensEqualsTokenizingTheRenderedPromptWithBosAsOneToken()
    {
        var tokenizer = DeepSeekTokenizer.Load(SharedData.Path("golden", "tokenizer", "tokenizer.json"));
        var line = File.ReadLines(SharedData.Path("golden", "encoding", "encode_cases.jsonl"))
            .First(l => !l.Contains("\"expected_error\"", StringComparison.Ordinal) && l.Contains("\"tools\": [", StringComparison.Ordinal));
        var request = PromptCaseJson.ReadEncodeRequest(line);
        var conversation = new Conversation(request.Messages, request.Options);

        var ids = conversation.RenderTokens(tokenizer);

        Assert.Equal(tokenizer.Encode(conversation.Render()), ids);
        Assert.Equal(0, ids[0]);                                   // BOS comes from the prompt text, once
        Assert.Equal(1, ids.Count(id => id == 0));
        Assert.Equal(conversation.Render(), tokenizer.Decode(ids));
        var expected = JsonDocument.Parse(line).RootElement.GetProperty("expected_prompt").GetString();
        Assert.Equal(expected, tokenizer.Decode(ids));
    }
}
