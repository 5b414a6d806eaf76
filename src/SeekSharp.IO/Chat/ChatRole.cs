namespace SeekSharp.IO.Chat;

/// <summary>The five roles the DeepSeek-V3.2 encoder knows.</summary>
public enum ChatRole
{
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

/// <summary>Wire names of <see cref="ChatRole"/> (the OpenAI spelling, lower case).</summary>
public static class ChatRoleNames
{
    public static string ToWireName(this ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.Developer => "developer",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        ChatRole.Tool => "tool",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>Case-sensitive, like the reference (`"User"` is not a role).</summary>
    public static bool TryParse(string? name, out ChatRole role)
    {
        switch (name)
        {
            case "system": role = ChatRole.System; return true;
            case "developer": role = ChatRole.Developer; return true;
            case "user": role = ChatRole.User; return true;
            case "assistant": role = ChatRole.Assistant; return true;
            case "tool": role = ChatRole.Tool; return true;
            default: role = default; return false;
        }
    }
}
