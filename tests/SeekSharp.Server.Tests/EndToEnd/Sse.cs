using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>Raw HTTP helpers: JSON posts and SSE streams read event by event.</summary>
public static class Sse
{
    public static async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostJsonAsync(HttpClient http, Uri url, string json, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    /// <summary>All events of a stream; the literal [DONE] ends it and must come last.</summary>
    public static async Task<List<JsonElement>> StreamAsync(HttpClient http, Uri url, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        var events = new List<JsonElement>();
        var done = false;
        while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line, StringComparison.Ordinal);
            Assert.False(done, "an event after [DONE]");
            if (line == "data: [DONE]") done = true;
            else events.Add(JsonDocument.Parse(line[6..]).RootElement.Clone());
        }
        Assert.True(done, "the stream did not end with [DONE]");
        return events;
    }
}
