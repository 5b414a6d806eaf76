using System.Text;
using System.Text.Json;

namespace SeekSharp.Benchmarks.Tokenizer;

/// <summary>
/// Builds the benchmark corpus deterministically: documents of ~4 KB made of the golden cases' texts
/// (prose, code, digits, CJK, emoji, chat prompts with special tokens) picked by a fixed-seed generator,
/// interleaved with synthetic words so that not every piece is a BPE-cache hit. Written as JSON Lines
/// ({"text": ...} per document) so that the Python side reads exactly the same strings.
/// </summary>
internal static class CorpusGenerator
{
    private const int DocumentChars = 4096;
    private static readonly string[] s_alphabets =
    [
        "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "àéîõüçñß", "абвгдежзиклмнопрст",
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年", "あいうえおかきくけこさしすせそ", "αβγδεζηθικλμ",
    ];

    public static void Write(string casesJsonl, string corpusPath, double targetMegabytes, ulong seed = 20251201)
    {
        var texts = File.ReadLines(casesJsonl).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)
            .ToArray();
        var random = new SplitMix64(seed);
        var targetBytes = (long)(targetMegabytes * 1024 * 1024);
        long written = 0;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(corpusPath))!);
        using var output = new StreamWriter(corpusPath, append: false, new UTF8Encoding(false));
        var document = new StringBuilder();
        while (written < targetBytes)
        {
            document.Clear();
            while (document.Length < DocumentChars)
            {
                if (random.Next(5) == 0) AppendSyntheticSentence(document, random);
                else document.Append(texts[random.Next(texts.Length)]);
                document.Append(random.Next(3) == 0 ? "\n\n" : "\n");
            }
            var text = document.ToString();
            written += Encoding.UTF8.GetByteCount(text);
            output.Write(JsonSerializer.Serialize(new { text }));
            output.Write('\n');
        }
    }

    private static void AppendSyntheticSentence(StringBuilder into, SplitMix64 random)
    {
        var words = 4 + random.Next(12);
        for (var w = 0; w < words; w++)
        {
            if (w > 0) into.Append(' ');
            if (random.Next(6) == 0)
            {
                into.Append(random.Next(1_000_000));
                continue;
            }
            var alphabet = s_alphabets[random.Next(s_alphabets.Length)];
            var length = 1 + random.Next(9);
            for (var i = 0; i < length; i++) into.Append(alphabet[random.Next(alphabet.Length)]);
        }
        into.Append(random.Next(2) == 0 ? "." : "!");
    }

    /// <summary>SplitMix64: tiny, fully specified, identical on every platform and runtime.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public int Next(int bound)
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z % (ulong)bound);
        }
    }
}
