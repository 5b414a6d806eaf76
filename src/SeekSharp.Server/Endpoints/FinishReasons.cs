using SeekSharp.Engine;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Endpoints;

/// <summary>The OpenAI finish_reason of a generation, or why it has none.</summary>
public static class FinishReasons
{
    /// <summary>
    /// "length" when max_tokens cut it, "tool_calls" when calls were parsed, else "stop" (EOS or a stop string).
    /// Throws <see cref="ApiException"/> 500 when the engine failed the request; returns null when the client went away.
    /// </summary>
    public static string? Decide(EngineFinish? finish, bool stoppedByString, bool hasToolCalls)
    {
        if (!stoppedByString)
        {
            switch (finish?.Reason)
            {
                case null:
                case FinishReason.Cancelled:
                    return null;
                case FinishReason.Error:
                    throw ApiException.Internal($"the engine failed this request: {finish.Error ?? "no reason given"}");
                case FinishReason.Length:
                    return "length";
            }
        }
        return hasToolCalls ? "tool_calls" : "stop";
    }
}
