using System.Globalization;
using System.Text.Json;
using SeekSharp.Cpu;
using SeekSharp.Engine;
using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>
/// Prompt scoring over raw HTTP (the OpenAI .NET SDK has no legacy completions client): echo + logprobs, max_tokens 0
/// and vLLM's prompt_logprobs, checked against the same checkpoint's teacher-forced <see cref="DeepSeekV32Model.Score"/>.
/// </summary>
public sealed class PromptLogprobsTests(ServerFixture server)
{
    private const string Model = ServerFixture.ModelName;
    private const string Prompt = "The quick brown fox jumps over the lazy dog";

    /// <summary>Log-probability of each prompt token after the ones before it (index 0 unused), from one teacher-forced pass.</summary>
    private static float[] TeacherForced(IReadOnlyList<int> ids)
    {
        using var backend = new CpuBackend(Math.Max(1, Environment.ProcessorCount));
        using var model = DeepSeekV32Model.Load(TestModel.Directory, backend);
        var logits = model.Score([.. ids]);
        var vocab = model.Config.VocabSize;
        return [float.NaN, .. Enumerable.Range(1, ids.Count - 1).Select(i => Logprobs.Of(logits.AsSpan((i - 1) * vocab, vocab), ids[i], 0).Logprob)];
    }

    [Fact]
    public async Task Echo_with_logprobs_leads_with_the_prompt_tokens_scored_as_the_model_scores_them()
    {
        var ids = server.Tokenizer.Encode(Prompt);
        var expected = TeacherForced(ids);

        var body = await Post($$"""{"model": "{{Model}}", "prompt": "{{Prompt}}", "echo": true, "logprobs": 2, "max_tokens": 3, "temperature": 0}""");

        var choice = body.GetProperty("choices")[0];
        Assert.StartsWith(Prompt, choice.GetProperty("text").GetString(), StringComparison.Ordinal);
        var logprobs = choice.GetProperty("logprobs");
        var values = logprobs.GetProperty("token_logprobs").EnumerateArray().ToList();
        var tops = logprobs.GetProperty("top_logprobs").EnumerateArray().ToList();
        Assert.Equal(ids.Count + body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), values.Count);
        Assert.Equal(JsonValueKind.Null, values[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, tops[0].ValueKind);
        for (var i = 1; i < ids.Count; i++)
        {
            Assert.Equal(expected[i], values[i].GetSingle(), 1e-4f);
            Assert.InRange(tops[i].EnumerateObject().Count(), 1, 2);
        }
        Assert.Equal(0, logprobs.GetProperty("text_offset")[0].GetInt32());
    }

    [Fact]
    public async Task Max_tokens_zero_with_echo_scores_the_prompt_only()
    {
        var ids = server.Tokenizer.Encode(Prompt);
        var expected = TeacherForced(ids);

        var body = await Post($$"""{"model": "{{Model}}", "prompt": [{{string.Join(",", ids)}}], "echo": true, "logprobs": 0, "max_tokens": 0}""");

        var choice = body.GetProperty("choices")[0];
        Assert.Equal(Prompt, choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(0, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var values = choice.GetProperty("logprobs").GetProperty("token_logprobs").EnumerateArray().ToList();
        Assert.Equal(ids.Count, values.Count);
        for (var i = 1; i < ids.Count; i++) Assert.Equal(expected[i], values[i].GetSingle(), 1e-4f);
    }

    [Fact]
    public async Task Vllm_prompt_logprobs_list_each_prompt_token_by_id()
    {
        var ids = server.Tokenizer.Encode(Prompt);
        var expected = TeacherForced(ids);

        var body = await Post($$"""{"model": "{{Model}}", "prompt": "{{Prompt}}", "prompt_logprobs": 1, "max_tokens": 2, "temperature": 0}""");

        var choice = body.GetProperty("choices")[0];
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        var scored = choice.GetProperty("prompt_logprobs").EnumerateArray().ToList();
        Assert.Equal(ids.Count, scored.Count);
        Assert.Equal(JsonValueKind.Null, scored[0].ValueKind);
        for (var i = 1; i < ids.Count; i++)
        {
            var own = scored[i].GetProperty(ids[i].ToString(CultureInfo.InvariantCulture));
            Assert.Equal(expected[i], own.GetProperty("logprob").GetSingle(), 1e-4f);
            Assert.InRange(scored[i].EnumerateObject().Count(), 1, 2);
        }
    }

    [Fact]
    public async Task A_streamed_echo_sends_the_prompt_and_its_logprobs_first()
    {
        var ids = server.Tokenizer.Encode(Prompt);

        var events = await Sse.StreamAsync(server.Http, server.Url("v1/completions"),
            $$"""{"model": "{{Model}}", "prompt": "{{Prompt}}", "echo": true, "logprobs": 1, "max_tokens": 2, "temperature": 0, "stream": true}""");

        var first = events[0].GetProperty("choices")[0];
        Assert.Equal(Prompt, first.GetProperty("text").GetString());
        var values = first.GetProperty("logprobs").GetProperty("token_logprobs");
        Assert.Equal(ids.Count, values.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, values[0].ValueKind);
    }

    [Fact]
    public async Task Max_tokens_zero_without_scoring_is_a_400_naming_max_tokens()
    {
        var (status, body, _) = await Sse.PostJsonAsync(server.Http, server.Url("v1/completions"),
            $$"""{"model": "{{Model}}", "prompt": "{{Prompt}}", "max_tokens": 0}""");

        Assert.Equal(400, status);
        Assert.Equal("max_tokens", body.GetProperty("error").GetProperty("param").GetString());
    }

    private async Task<JsonElement> Post(string json)
    {
        var (status, body, _) = await Sse.PostJsonAsync(server.Http, server.Url("v1/completions"), json);
        Assert.True(status == 200, $"{status}: {body}");
        return body;
    }
}
