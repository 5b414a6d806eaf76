namespace SeekSharp.IO.Chat;

/// <summary>A conversation the V3.2 encoder (or its JSON loader) rejects.</summary>
public sealed class ChatEncodingException : Exception
{
    public ChatEncodingException(string message) : base(message) { }

    public ChatEncodingException(string message, Exception inner) : base(message, inner) { }
}
