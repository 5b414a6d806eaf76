namespace SeekSharp.Engine;

/// <summary>Rejects, before queueing, every request the engine could never run; each error names the request field.</summary>
internal static class RequestValidation
{
    public const int MaxTopLogprobs = 20;

    public static void Check(EngineRequest request, EngineModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(request);
        var prompt = request.PromptTokens;
        if (prompt is null || prompt.Count == 0) throw new EngineRequestException("messages", "the prompt is empty");
        for (var i = 0; i < prompt.Count; i++)
            if ((uint)prompt[i] >= (uint)model.VocabSize)
                throw new EngineRequestException("messages", $"prompt token {i} has id {prompt[i]}, outside the vocabulary (0..{model.VocabSize - 1})");
        if (prompt.Count >= model.MaxContextTokens)
            throw new EngineRequestException("messages",
                $"the prompt has {prompt.Count} tokens; this model's context holds {model.MaxContextTokens} (prompt plus at least one generated token)");
        if (request.MaxNewTokens < 1) throw new EngineRequestException("max_tokens", $"max_tokens must be at least 1 (got {request.MaxNewTokens})");
        if ((long)prompt.Count + request.MaxNewTokens > model.MaxContextTokens)
            throw new EngineRequestException("max_tokens",
                $"the prompt has {prompt.Count} tokens and max_tokens is {request.MaxNewTokens}: together {prompt.Count + (long)request.MaxNewTokens}, over this model's context of {model.MaxContextTokens}; lower max_tokens to at most {model.MaxContextTokens - prompt.Count}");
        if (request.Temperature < 0 || !float.IsFinite(request.Temperature))
            throw new EngineRequestException("temperature", $"temperature must be a finite number ≥ 0 (got {request.Temperature})");
        if (request.TopP is <= 0 or > 1 || float.IsNaN(request.TopP))
            throw new EngineRequestException("top_p", $"top_p must be in (0, 1] (got {request.TopP})");
        if (request.TopK < 0) throw new EngineRequestException("top_k", $"top_k must be ≥ 0, 0 = off (got {request.TopK})");
        if (request.TopLogprobs is < 0 or > MaxTopLogprobs)
            throw new EngineRequestException("top_logprobs", $"top_logprobs must be between 0 and {MaxTopLogprobs} (got {request.TopLogprobs})");
        foreach (var stop in request.StopTokenIds)
            if ((uint)stop >= (uint)model.VocabSize)
                throw new EngineRequestException("stop", $"stop token id {stop} is outside the vocabulary (0..{model.VocabSize - 1})");
    }
}
