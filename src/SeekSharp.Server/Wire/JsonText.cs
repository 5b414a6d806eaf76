using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SeekSharp.Server.Wire;

/// <summary>Compact JSON with non-ASCII text kept raw, as the responses are written.</summary>
public static class JsonText
{
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) write(writer);
        return buffer.WrittenSpan.ToArray();
    }
}
