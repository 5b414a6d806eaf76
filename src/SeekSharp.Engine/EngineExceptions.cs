namespace SeekSharp.Engine;

/// <summary>A request the engine can never run (prompt too long, bad token id, bad sampling value); names the field.</summary>
public sealed class EngineRequestException(string field, string message) : Exception(message)
{
    /// <summary>The request field at fault, in OpenAI's naming where one exists ("max_tokens", "messages", "top_p").</summary>
    public string Field { get; } = field;
}

/// <summary>The bounded request queue is full; retry later (HTTP 429/503).</summary>
public sealed class EngineOverloadedException(string message) : Exception(message);
