using Microsoft.Extensions.AI;

namespace SeekSharp.Agents.Loop;

public sealed record AgentLoopOptions
{
    /// <summary>Most model calls per user message (each tool round trip costs one).</summary>
    public int MaxTurns { get; init; } = 8;

    /// <summary>Sampling, thinking and other settings for every model call; the loop sets Tools and ToolMode.</summary>
    public ChatOptions? ChatOptions { get; init; }

    /// <summary>A system message put first in the history.</summary>
    public string? SystemPrompt { get; init; }
}
