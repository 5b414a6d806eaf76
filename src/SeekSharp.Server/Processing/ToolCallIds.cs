using System.Security.Cryptography;

namespace SeekSharp.Server.Processing;

/// <summary>Ids for parsed tool calls, in OpenAI's shape (<c>call_</c> + 24 alphanumerics).</summary>
public static class ToolCallIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static string New() => "call_" + RandomNumberGenerator.GetString(Alphabet, 24);

    /// <summary>Ids for responses and chunks: <paramref name="prefix"/> + 24 alphanumerics.</summary>
    public static string NewResponseId(string prefix) => prefix + RandomNumberGenerator.GetString(Alphabet, 24);
}
