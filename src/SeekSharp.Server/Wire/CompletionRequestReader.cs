using System.Text.Json;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Wire;

/// <summary>
/// Reads a /v1/completions body. <c>prompt</c> may be a string, an array of token ids, or an array of either (a
/// batch, as eval harnesses send); <c>logprobs</c> is the number of alternatives (0..20). <c>echo</c> with
/// <c>logprobs</c> also scores the prompt (its tokens lead the logprobs, the first with a null logprob), and
/// <c>max_tokens: 0</c> then scores only (lm-eval's loglikelihood); vLLM's <c>prompt_logprobs: N</c> does the same
/// into a separate list.
/// </summary>
public static class CompletionRequestReader
{
    public const int MaxPrompts = 64;

    public static CompletionRequest Read(JsonElement root, int defaultMaxTokens)
    {
        var body = new RequestObject(root, "");
        var model = body.String("model") ?? throw ApiException.BadRequest("model", "model is required");
        if (!body.TryGet("prompt", out var promptJson)) throw ApiException.BadRequest("prompt", "prompt is required");
        var prompts = ReadPrompts(promptJson);

        var bestOf = body.Integer("best_of", 1, 128) ?? 1;
        if (bestOf != 1) throw ApiException.BadRequest("best_of", "best_of: only 1 is supported");
        if (body.String("suffix") is { Length: > 0 }) throw ApiException.BadRequest("suffix", "suffix is not supported");
        var logprobs = body.Integer("logprobs", 0, GenerationOptionsReader.MaxTopLogprobs);
        var echo = body.Bool("echo") ?? false;
        var promptLogprobsField = body.Integer("prompt_logprobs", 0, GenerationOptionsReader.MaxTopLogprobs);
        var promptLogprobs = Max(echo ? logprobs : null, promptLogprobsField);

        var maxTokens = GenerationOptionsReader.ReadMaxTokens(body, least: 0) ?? defaultMaxTokens;
        if (maxTokens == 0 && promptLogprobs is null)
            throw ApiException.BadRequest("max_tokens", "max_tokens 0 only scores the prompt: send echo with logprobs (or prompt_logprobs), or ask for at least 1 token");
        var generation = GenerationOptionsReader.ReadCommon(body, maxTokens) with
        {
            Logprobs = logprobs is not null,
            TopLogprobs = (int)(logprobs ?? 0),
        };
        var stream = body.Bool("stream") ?? false;
        var includeUsage = body.Object("stream_options")?.Bool("include_usage") ?? false;
        if (stream && prompts.Count > 1) throw ApiException.BadRequest("prompt", "prompt: streaming takes one prompt per request");
        return new CompletionRequest
        {
            Model = model,
            Prompts = prompts,
            Echo = echo,
            PromptLogprobs = promptLogprobs is { } n ? (int)n : null,
            PromptLogprobsField = promptLogprobsField is not null,
            Stream = stream,
            IncludeUsage = stream && includeUsage,
            Generation = generation,
        };
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static List<CompletionPrompt> ReadPrompts(JsonElement prompt)
    {
        if (prompt.ValueKind == JsonValueKind.String) return [new CompletionPrompt(RequestObject.StringValue(prompt, "prompt"), null)];
        if (prompt.ValueKind != JsonValueKind.Array)
            throw ApiException.BadRequest("prompt", $"prompt must be a string, an array of token ids or an array of prompts, got {RequestObject.KindName(prompt)}");
        var items = prompt.EnumerateArray().ToList();
        if (items.Count == 0) throw ApiException.BadRequest("prompt", "prompt must not be empty");
        if (items.All(i => i.ValueKind == JsonValueKind.Number)) return [new CompletionPrompt(null, ReadIds(prompt, "prompt"))];
        if (items.Count > MaxPrompts) throw ApiException.BadRequest("prompt", $"prompt: at most {MaxPrompts} prompts per request");
        var result = new List<CompletionPrompt>();
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"prompt[{i}]";
            result.Add(items[i].ValueKind switch
            {
                JsonValueKind.String => new CompletionPrompt(RequestObject.StringValue(items[i], path), null),
                JsonValueKind.Array => new CompletionPrompt(null, ReadIds(items[i], path)),
                _ => throw ApiException.BadRequest(path, $"{path} must be a string or an array of token ids, got {RequestObject.KindName(items[i])}"),
            });
        }
        return result;
    }

    private static int[] ReadIds(JsonElement array, string path)
    {
        var ids = new List<int>();
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id) || id < 0)
                throw ApiException.BadRequest($"{path}[{index}]", $"{path}[{index}] must be a token id (a non-negative integer), got {RequestObject.KindName(item)}");
            ids.Add(id);
            index++;
        }
        if (ids.Count == 0) throw ApiException.BadRequest(path, $"{path} must not be empty");
        return [.. ids];
    }
}
