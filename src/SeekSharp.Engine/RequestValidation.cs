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
        var leastNew = request.PromptLogprobs is null ? 1 : 0;             // 0 = score the prompt only
        if (request.MaxNewTokens < leastNew)
            throw new EngineRequestException("max_tokens", $"max_tokens must be at least {leastNew} (got {request.MaxNewTokens})");
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
        if (request.PromptLogprobs is < 0 or > MaxTopLogprobs)
            throw new EngineRequestException("prompt_logprobs", $"prompt_logprobs must be between 0 and {MaxTopLogprobs} (got {request.PromptLogprobs})");
        if (request.Forced is { } forced)
        {
            if (forced.Tokens is null || forced.Tokens.Count == 0) throw new EngineRequestException("forced", "the forced continuation has no tokens");
            foreach (var id in forced.AfterToken is { } after ? forced.Tokens.Append(after) : forced.Tokens)
                if ((uint)id >= (uint)model.VocabSize)
                    throw new EngineRequestException("forced", $"forced token id {id} is outside the vocabulary (0..{model.VocabSize - 1})");
        }
        foreach (var (id, bias) in request.LogitBias ?? new Dictionary<int, float>())
        {
            if ((uint)id >= (uint)model.VocabSize)
                throw new EngineRequestException("logit_bias", $"logit_bias token id {id} is outside the vocabulary (0..{model.VocabSize - 1})");
            if (bias is < -100 or > 100 || float.IsNaN(bias))
                throw new EngineRequestException("logit_bias", $"logit_bias for token {id} must be between -100 and 100 (got {bias})");
        }
        foreach (var stop in request.StopTokenIds)
            if ((uint)stop >= (uint)model.VocabSize)
                throw new EngineRequestException("stop", $"stop token id {stop} is outside the vocabulary (0..{model.VocabSize - 1})");
    }
}
