using System.Buffers.Binary;
using System.Text;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>Builds safetensors bytes by hand (independently of SafetensorsWriter), so tests can craft broken files.</summary>
internal static class RawSafetensors
{
    /// <summary>8-byte LE length + header text (UTF-8, unpadded) + data.</summary>
    public static byte[] Build(string headerJson, byte[] data) => Build(Encoding.UTF8.GetBytes(headerJson), data);

    public static byte[] Build(byte[] header, byte[] data) => Build((ulong)header.Length, header, data);

    /// <summary>Lets a test declare a header length that differs from the header actually written.</summary>
    public static byte[] Build(ulong declaredHeaderLength, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Bytes 0, 1, 2, ... so every tensor's bytes are distinguishable.</summary>
    public static byte[] Counting(int length)
    {
        var data = new byte[length];
        for (var i = 0; i < length; i++) data[i] = (byte)i;
        return data;
    }
}
