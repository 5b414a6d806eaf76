namespace SeekSharp.IO.Tokenization;

/// <summary>
/// GPT-2's byte-to-printable-character table used by byte-level BPE: bytes 0x21-0x7E, 0xA1-0xAC and
/// 0xAE-0xFF stand for themselves; the other 68 bytes map, in increasing order, to U+0100... (space is
/// 'Ġ' U+0120, LF is 'Ċ' U+010A).
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte();

    /// <summary>The alphabet character standing for byte <paramref name="b"/>.</summary>
    public static char ToChar(byte b) => s_byteToChar[b];

    /// <summary>The byte a character stands for, or -1 when the character is not in the alphabet.</summary>
    public static int ToByte(char c) => c < s_charToByte.Length ? s_charToByte[c] : -1;

    /// <summary>Maps each byte to its alphabet character.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (span, data) =>
        {
            for (var i = 0; i < data.Length; i++) span[i] = s_byteToChar[data[i]];
        });
    }

    /// <summary>
    /// The bytes a token string stands for, as HF's ByteLevel decoder computes them: the mapped bytes
    /// when every character is in the alphabet, otherwise the token's own UTF-8 bytes.
    /// </summary>
    public static byte[] DecodeToken(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            var b = ToByte(token[i]);
            if (b < 0) return System.Text.Encoding.UTF8.GetBytes(token);
            bytes[i] = (byte)b;
        }
        return bytes;
    }

    private static bool StandsForItself(int b) => b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        var next = 0x100;
        for (var b = 0; b < 256; b++) table[b] = StandsForItself(b) ? (char)b : (char)next++;
        return table;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[0x100 + 68];
        Array.Fill(table, (short)-1);
        for (var b = 0; b < 256; b++) table[s_byteToChar[b]] = (short)b;
        return table;
    }
}
