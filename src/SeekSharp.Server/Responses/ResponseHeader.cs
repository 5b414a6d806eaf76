using System.Text.Json;

namespace SeekSharp.Server.Responses;

/// <summary>The fields every OpenAI response object starts with: id, object, created, model, system_fingerprint.</summary>
public static class ResponseHeader
{
    /// <summary>Opens the response object and writes its common fields (the caller writes the rest and closes it).</summary>
    public static void Write(Utf8JsonWriter writer, string id, string objectType, long created, string model)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", objectType);
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
        writer.WriteNull("system_fingerprint");
    }
}
