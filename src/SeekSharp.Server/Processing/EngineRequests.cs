using SeekSharp.Engine;
using SeekSharp.Server.Errors;
using SeekSharp.Server.Wire;

namespace SeekSharp.Server.Processing;

/// <summary>Builds the token-level engine request, checking the context budget first (400 naming the field).</summary>
public static class EngineRequests
{
    /// <param name="promptField">The field the prompt came from ("messages" or "prompt"), named when it alone is too long.</param>
    /// <param name="defaultMaxTokens">Used when the request gives no max_tokens; null = all the context left.</param>
    /// <param name="promptLogprobs">Score the prompt with this many alternatives per token (null = do not).</param>
    public static EngineRequest Create(
        IReadOnlyList<int> prompt, GenerationOptions options, EngineModelInfo model, string promptField, string requestId, int? defaultMaxTokens = null,
        int? promptLogprobs = null)
    {
        var context = model.MaxContextTokens;
        if (prompt.Count == 0) throw ApiException.BadRequest(promptField, $"{promptField}: the prompt is empty");
        if (prompt.Count >= context)
            throw ApiException.BadRequest(promptField,
                $"This model's maximum context length is {context} tokens. However, your {promptField} resulted in {prompt.Count} tokens, leaving no room to generate.",
                "context_length_exceeded");
        var room = context - prompt.Count;
        var maxTokens = options.MaxTokens ?? Math.Min(defaultMaxTokens ?? room, room);
        if (maxTokens > room)
            throw ApiException.BadRequest("max_tokens",
                $"This model's maximum context length is {context} tokens. However, you requested {prompt.Count + maxTokens} tokens " +
                $"({prompt.Count} in the {promptField}, {maxTokens} for the completion). Please reduce the length of the {promptField} or the completion.",
                "context_length_exceeded");
        foreach (var id in prompt)
        {
            if ((uint)id >= (uint)model.VocabSize)
                throw ApiException.BadRequest(promptField, $"{promptField}: token id {id} is outside the vocabulary (0..{model.VocabSize - 1})");
        }
        return new EngineRequest
        {
            PromptTokens = prompt,
            MaxNewTokens = maxTokens,
            Temperature = options.Temperature,
            TopP = options.TopP,
            TopK = options.TopK,
            Seed = options.Seed,
            IgnoreEos = options.IgnoreEos,
            StopTokenIds = options.StopTokenIds,
            Logprobs = options.Logprobs,
            TopLogprobs = options.TopLogprobs,
            PromptLogprobs = promptLogprobs,
            LogitBias = options.LogitBias,
            RequestId = requestId,
        };
    }
}
