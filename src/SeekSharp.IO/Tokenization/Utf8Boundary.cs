namespace SeekSharp.IO.Tokenization;

/// <summary>Where a byte buffer can be cut so that decoding the two halves separately equals decoding it whole.</summary>
internal static class Utf8Boundary
{
    /// <summary>
    /// Length of the longest prefix that can be decoded now: everything except a trailing sequence that
    /// is valid so far but incomplete (it may still be completed by bytes to come). Invalid bytes are
    /// never held back: they decode to U+FFFD whatever follows.
    /// </summary>
    public static int DecodablePrefixLength(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.Length;
        for (var back = 1; back <= 3 && back <= end; back++)
        {
            var lead = bytes[end - back];
            if ((lead & 0xC0) == 0x80) continue; // a continuation byte: keep looking for the lead
            var needed = SequenceLength(lead);
            if (needed <= back) return end;       // ASCII, invalid lead, or a complete sequence
            return IsValidPrefix(bytes[(end - back)..]) ? end - back : end;
        }
        return end;
    }

    private static int SequenceLength(byte lead) => lead switch
    {
        >= 0xC2 and <= 0xDF => 2,
        >= 0xE0 and <= 0xEF => 3,
        >= 0xF0 and <= 0xF4 => 4,
        _ => 1,
    };

    // The second byte of E0, ED, F0 and F4 sequences has a narrower range (no overlongs, surrogates or > U+10FFFF).
    private static bool IsValidPrefix(ReadOnlySpan<byte> sequence)
    {
        if (sequence.Length < 2) return true;
        var second = sequence[1];
        var (lo, hi) = sequence[0] switch
        {
            0xE0 => (0xA0, 0xBF),
            0xED => (0x80, 0x9F),
            0xF0 => (0x90, 0xBF),
            0xF4 => (0x80, 0x8F),
            _ => (0x80, 0xBF),
        };
        if (second < lo || second > hi) return false;
        for (var i = 2; i < sequence.Length; i++)
            if ((sequence[i] & 0xC0) != 0x80) return false;
        return true;
    }
}
