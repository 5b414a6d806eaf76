using Microsoft.Extensions.AI;

namespace SeekSharp.Agents.Loop;

/// <summary>What an <see cref="AgentLoop"/> reports while it runs one user message.</summary>
public abstract record AgentEvent;

/// <summary>A streaming piece of the model's reply (reasoning, text, tool calls, finish, usage).</summary>
public sealed record ModelUpdate(ChatResponseUpdate Update) : AgentEvent;

/// <summary>The model asked for a tool; it runs next.</summary>
public sealed record ToolCallStarted(FunctionCallContent Call) : AgentEvent;

/// <summary>A tool finished; its result (or error text) goes back to the model.</summary>
public sealed record ToolCallFinished(FunctionCallContent Call, FunctionResultContent Result) : AgentEvent;

/// <summary>The loop ended: the model answered without calling tools, or the turn limit was reached.</summary>
/// <param name="ModelCalls">How many times the model was called for this user message.</param>
/// <param name="FinalResponse">The last model response (its text is the answer when <paramref name="Reason"/> is Answered).</param>
public sealed record AgentFinished(AgentStopReason Reason, int ModelCalls, ChatResponse FinalResponse) : AgentEvent;

public enum AgentStopReason
{
    /// <summary>The model replied without requesting tools.</summary>
    Answered,

    /// <summary>The model still requested tools after <see cref="AgentLoopOptions.MaxTurns"/> calls; their results are in the history.</summary>
    MaxTurnsReached,
}
