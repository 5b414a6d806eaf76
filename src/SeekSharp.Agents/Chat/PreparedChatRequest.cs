using SeekSharp.Engine;
using SeekSharp.IO.Chat;

namespace SeekSharp.Agents.Chat;

/// <summary>One chat request made ready for the engine: the V3.2 conversation, its prompt and the engine request.</summary>
/// <param name="Conversation">Our messages (request-level tools and instructions moved into the system message).</param>
/// <param name="Prompt">The exact prompt text.</param>
/// <param name="Request">Prompt tokens and sampling settings.</param>
/// <param name="StopSequences">Strings that end the reply where they first appear in the generated text (not included).</param>
/// <param name="ReportsReasoning">False when the caller asked for no reasoning output (it is still generated).</param>
public sealed record PreparedChatRequest(
    Conversation Conversation,
    string Prompt,
    EngineRequest Request,
    IReadOnlyList<string> StopSequences,
    bool ReportsReasoning)
{
    public ThinkingMode ThinkingMode => Conversation.Options.ThinkingMode;
}
