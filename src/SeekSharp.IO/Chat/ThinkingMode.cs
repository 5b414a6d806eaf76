namespace SeekSharp.IO.Chat;

/// <summary>
/// Chat: every assistant turn starts after <c>&lt;/think&gt;</c> and no reasoning is rendered or parsed.
/// Thinking: the turn being generated starts after <c>&lt;think&gt;</c>; the model writes reasoning, then <c>&lt;/think&gt;</c>.
/// </summary>
public enum ThinkingMode
{
    Chat,
    Thinking,
}

public static class ThinkingModeNames
{
    public static string ToWireName(this ThinkingMode mode) => mode == ThinkingMode.Thinking ? "thinking" : "chat";

    public static bool TryParse(string? name, out ThinkingMode mode)
    {
        switch (name)
        {
            case "chat": mode = ThinkingMode.Chat; return true;
            case "thinking": mode = ThinkingMode.Thinking; return true;
            default: mode = default; return false;
        }
    }
}
