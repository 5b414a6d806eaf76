using System.Text.Json;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>The wire protocol over raw HTTP: completions and logprobs, thinking streams, stop strings, info endpoints.</summary>
public sealed class HttpProtocolTests(ServerFixture server)
{
    private const string Model = ServerFixture.ModelName;

    [Fact]
    public async Task Completions_with_logprobs_agree_between_text_and_token_prompts_and_streaming()
    {
        var ids = server.Tokenizer.Encode("The quick brown fox");
        var byText = await Post("v1/completions", $$"""{"model": "{{Model}}", "prompt": "The quick brown fox", "max_tokens": 6, "temperature": 0, "logprobs": 2}""");
        var byIds = await Post("v1/completions", $$"""{"model": "{{Model}}", "prompt": [{{string.Join(",", ids)}}], "max_tokens": 6, "temperature": 0, "logprobs": 2}""");
        var events = await Sse.StreamAsync(server.Http, server.Url("v1/completions"),
            $$$"""{"model": "{{{Model}}}", "prompt": "The quick brown fox", "max_tokens": 6, "temperature": 0, "logprobs": 2, "stream": true, "stream_options": {"include_usage": true}}""");

        var choice = byText.GetProperty("choices")[0];
        Assert.Equal("text_completion", byText.GetProperty("object").GetString());
        Assert.Equal(ids.Count, byText.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var tokenLogprobs = choice.GetProperty("logprobs").GetProperty("token_logprobs");
        Assert.Equal(byText.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), tokenLogprobs.GetArrayLength());
        Assert.All(tokenLogprobs.EnumerateArray(), lp => Assert.True(lp.GetDouble() <= 0));
        Assert.All(choice.GetProperty("logprobs").GetProperty("top_logprobs").EnumerateArray(), top => Assert.InRange(top.EnumerateObject().Count(), 1, 2));
        Assert.Equal(choice.GetProperty("text").GetString(), byIds.GetProperty("choices")[0].GetProperty("text").GetString());

        var streamedText = string.Concat(events.Where(e => e.GetProperty("choices").GetArrayLength() > 0)
            .Select(e => e.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(choice.GetProperty("text").GetString(), streamedText);
        Assert.Equal(byText.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_batch_of_prompts_answers_one_choice_per_prompt_in_order()
    {
        var single = await Post("v1/completions", $$"""{"model": "{{Model}}", "prompt": "beta", "max_tokens": 3, "temperature": 0}""");
        var batch = await Post("v1/completions", $$"""{"model": "{{Model}}", "prompt": ["alpha", "beta"], "max_tokens": 3, "temperature": 0}""");

        var choices = batch.GetProperty("choices");
        Assert.Equal(2, choices.GetArrayLength());
        Assert.Equal(1, choices[1].GetProperty("index").GetInt32());
        Assert.Equal(single.GetProperty("choices")[0].GetProperty("text").GetString(), choices[1].GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_stop_string_cuts_the_greedy_text_before_it()
    {
        var free = await Post("v1/completions", $$"""{"model": "{{Model}}", "prompt": "Once upon a time", "max_tokens": 16, "temperature": 0}""");
        var text = free.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.True(text.Length >= 4, $"greedy text too short to pick a stop string: '{text}'");
        var stop = text.Substring(text.Length / 2, 2);
        var expected = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var stopped = await Post("v1/completions",
            $$"""{"model": "{{Model}}", "prompt": "Once upon a time", "max_tokens": 16, "temperature": 0, "stop": [{{JsonSerializer.Serialize(stop)}}]}""");

        Assert.Equal(expected, stopped.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("stop", stopped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_stop_token_id_ends_the_generation_with_that_token()
    {
        var free = await Post("v1/completions", $$"""{"model": "{{Model}}", "prompt": "Once upon a time", "max_tokens": 8, "temperature": 0, "logprobs": 0}""");
        var tokens = free.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        var third = server.Tokenizer.Encode(tokens[2]);
        Assert.True(third.Count == 1, $"token text '{tokens[2]}' does not round-trip to one id");

        var stopped = await Post("v1/completions",
            $$"""{"model": "{{Model}}", "prompt": "Once upon a time", "max_tokens": 8, "temperature": 0, "stop_token_ids": [{{third[0]}}]}""");

        var expectedLength = tokens.IndexOf(tokens[2]) + 1;
        Assert.Equal(expectedLength, stopped.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("stop", stopped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Thinking_stream_sends_reasoning_deltas_and_counts_reasoning_tokens()
    {
        const string body = """{"model": "MODEL", "messages": [{"role": "user", "content": "Why is the sky blue?"}], "max_tokens": 8, "temperature": 0, "chat_template_kwargs": {"thinking": true}STREAM}""";
        var whole = await Post("v1/chat/completions", body.Replace("MODEL", Model).Replace("STREAM", ""));
        var events = await Sse.StreamAsync(server.Http, server.Url("v1/chat/completions"),
            body.Replace("MODEL", Model).Replace("STREAM", """, "stream": true, "stream_options": {"include_usage": true}"""));

        var message = whole.GetProperty("choices")[0].GetProperty("message");
        var reasoning = message.GetProperty("reasoning_content").GetString()!;
        Assert.Equal(reasoning, message.GetProperty("reasoning").GetString());
        var usage = whole.GetProperty("usage");
        var reasoningTokens = usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32();
        Assert.InRange(reasoningTokens, 1, usage.GetProperty("completion_tokens").GetInt32());

        Assert.Equal("assistant", events[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var deltas = events.Where(e => e.GetProperty("choices").GetArrayLength() > 0).Select(e => e.GetProperty("choices")[0].GetProperty("delta")).ToList();
        var streamedReasoning = string.Concat(deltas.Where(d => d.TryGetProperty("reasoning_content", out _)).Select(d => d.GetProperty("reasoning_content").GetString()));
        var streamedContent = string.Concat(deltas.Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString()));
        Assert.Equal(reasoning, streamedReasoning);
        Assert.Equal(message.GetProperty("content").GetString() ?? "", streamedContent);
        Assert.Equal(0, events[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(reasoningTokens, events[^1].GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.All(events.SkipLast(1), e => Assert.Equal(JsonValueKind.Null, e.GetProperty("usage").ValueKind));
    }

    [Fact]
    public async Task Models_health_and_metrics_answer()
    {
        var models = JsonDocument.Parse(await server.Http.GetStringAsync(server.Url("v1/models"), TestContext.Current.CancellationToken)).RootElement;
        var health = await server.Http.GetAsync(server.Url("health"), TestContext.Current.CancellationToken);
        await Post("v1/chat/completions", $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3}""");
        var metrics = await server.Http.GetStringAsync(server.Url("metrics"), TestContext.Current.CancellationToken);

        Assert.Contains(models.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == Model);
        Assert.Equal(200, (int)health.StatusCode);
        Assert.Contains("# TYPE seeksharp_time_to_first_token_seconds histogram", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE seeksharp_time_per_output_token_seconds histogram", metrics, StringComparison.Ordinal);
        Assert.Contains("seeksharp_requests_waiting ", metrics, StringComparison.Ordinal);
        Assert.Contains("seeksharp_prefix_cache_hit_rate ", metrics, StringComparison.Ordinal);
        Assert.Matches(@"seeksharp_time_to_first_token_seconds_count [1-9]", metrics);
    }

    [Fact]
    public async Task The_api_key_is_required_on_the_keyed_server()
    {
        var url = new Uri(server.KeyedServer.BaseAddress, "v1/chat/completions");
        var body = $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}""";

        var (noKey, noKeyBody, _) = await Sse.PostJsonAsync(server.Http, url, body);
        var (wrongKey, _, _) = await Sse.PostJsonAsync(server.Http, url, body, "sk-wrong");
        var (rightKey, _, _) = await Sse.PostJsonAsync(server.Http, url, body, ServerFixture.ApiKey);
        var health = await server.Http.GetAsync(new Uri(server.KeyedServer.BaseAddress, "health"), TestContext.Current.CancellationToken);

        Assert.Equal(401, noKey);
        Assert.Equal("invalid_api_key", noKeyBody.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(401, wrongKey);
        Assert.Equal(200, rightKey);
        Assert.Equal(200, (int)health.StatusCode);
    }

    [Fact]
    public async Task Context_overflow_is_a_400_naming_the_field()
    {
        var (status, body, _) = await Sse.PostJsonAsync(server.Http, server.Url("v1/chat/completions"),
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": {{TestModel.MaxPositions}}}""");
        var (promptStatus, promptBody, _) = await Sse.PostJsonAsync(server.Http, server.Url("v1/completions"),
            $$"""{"model": "{{Model}}", "prompt": [{{string.Join(",", Enumerable.Repeat(100, TestModel.MaxPositions))}}]}""");

        Assert.Equal(400, status);
        Assert.Equal("max_tokens", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(400, promptStatus);
        Assert.Equal("prompt", promptBody.GetProperty("error").GetProperty("param").GetString());
    }

    private async Task<JsonElement> Post(string path, string json)
    {
        var (status, body, _) = await Sse.PostJsonAsync(server.Http, server.Url(path), json);
        Assert.True(status == 200, $"{status}: {body}");
        return body;
    }
}
