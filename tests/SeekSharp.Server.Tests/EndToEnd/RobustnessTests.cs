using System.Text;
using SeekSharp.Server.Tests.Wire;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>Bad requests get 4xx with OpenAI error bodies and never disturb the server or other requests.</summary>
public sealed class RobustnessTests(ServerFixture server)
{
    [Fact]
    public async Task Hundreds_of_malformed_requests_all_get_4xx_and_the_server_stays_healthy()
    {
        var cases = MalformedRequests.Chat(ServerFixture.ModelName).Select(c => (Path: "v1/chat/completions", Case: c))
            .Concat(MalformedRequests.Completions(ServerFixture.ModelName).Select(c => (Path: "v1/completions", Case: c)))
            .ToList();
        Assert.True(cases.Count >= 200, $"only {cases.Count} cases");

        // a good request runs alongside the bad ones
        var good = Sse.PostJsonAsync(server.Http, server.Url("v1/chat/completions"),
            $$"""{"model": "{{ServerFixture.ModelName}}", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "stream": false}""");
        var failures = new List<string>();
        foreach (var chunk in cases.Chunk(16))
        {
            var results = await Task.WhenAll(chunk.Select(async c =>
            {
                using var content = new StringContent(c.Case.Body, Encoding.UTF8, "application/json");
                using var response = await server.Http.PostAsync(server.Url(c.Path), content, TestContext.Current.CancellationToken);
                var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                var status = (int)response.StatusCode;
                var ok = status is >= 400 and < 500 && body.Contains("\"error\"", StringComparison.Ordinal)
                    && (c.Case.Param is null || body.Contains($"\"param\":\"{c.Case.Param}\"", StringComparison.Ordinal));
                return ok ? null : $"{c.Path} {c.Case.Name}: {status} {body}";
            }));
            failures.AddRange(results.OfType<string>());
        }

        Assert.Empty(failures);
        var (goodStatus, goodBody, _) = await good;
        Assert.True(goodStatus == 200, goodBody.ToString());
        var health = await server.Http.GetAsync(server.Url("health"), TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)health.StatusCode);
    }

    [Fact]
    public async Task Unknown_urls_are_openai_style_404s()
    {
        using var response = await server.Http.GetAsync(server.Url("v1/engines"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(404, (int)response.StatusCode);
        Assert.Contains("\"error\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_does_not_disturb_the_next_request()
    {
        using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, server.Url("v1/chat/completions"))
            {
                Content = new StringContent(
                    $$"""{"model": "{{ServerFixture.ModelName}}", "messages": [{"role": "user", "content": "Go on forever"}], "max_tokens": 2000, "ignore_eos": true, "stream": true}""",
                    Encoding.UTF8, "application/json"),
            };
            using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
            Assert.StartsWith("data: ", await reader.ReadLineAsync(cancel.Token), StringComparison.Ordinal);
            await cancel.CancelAsync();   // walk away after the first event
        }

        var (status, body, _) = await Sse.PostJsonAsync(server.Http, server.Url("v1/chat/completions"),
            $$"""{"model": "{{ServerFixture.ModelName}}", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3}""");
        Assert.True(status == 200, body.ToString());
    }
}
