using System.Text.Encodings.Web;
using System.Text.Json;
using SeekSharp.IO.Tokenization.Regex;

namespace SeekSharp.IO.Tokenization.Synthetic;

/// <summary>
/// Writes the tokenizer of SeekSharp's demo model: a real HF <c>tokenizer.json</c> of DeepSeek-V3.2's kind
/// (byte-level BPE, the real pre-tokenizer, the real added tokens with their flags) over a small vocabulary.
/// Layout, as in the real file: ids 0–2 BOS/EOS/pad, ids 3–258 the 256 byte symbols in code-point order, then
/// merges learned from <see cref="DemoTokenizerCorpus"/> (common English words, JSON and DSML markup become single
/// tokens), then the added tokens (<c>&lt;think&gt;</c>, <c>&lt;｜User｜&gt;</c>, ...) in the top ids, so that
/// every id below <c>vocabSize</c> decodes. Also writes a <c>tokenizer_config.json</c> like DeepSeek's (no BOS
/// added by the tokenizer: the rendered prompt carries it).
/// </summary>
public static class DemoTokenizerWriter
{
    public const string TokenizerFileName = "tokenizer.json";
    public const string TokenizerConfigFileName = "tokenizer_config.json";

    /// <summary>Lowest vocabulary size that leaves room for the specials, bytes and added tokens.</summary>
    public static int MinimumVocabSize => FixedEntries + DeepSeekTokenizerLayout.TrailingAddedTokens.Count;

    private static int FixedEntries => DeepSeekTokenizerLayout.LeadingSpecialTokens.Count + 256;

    private static readonly JsonWriterOptions s_jsonOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/> (created if needed).</summary>
    public static void Write(string directory, int vocabSize, int maxContextTokens)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, TokenizerFileName), TokenizerJson(vocabSize));
        File.WriteAllBytes(Path.Combine(directory, TokenizerConfigFileName), TokenizerConfigJson(maxContextTokens));
    }

    /// <summary>The tokenizer.json bytes (UTF-8) for a vocabulary of exactly <paramref name="vocabSize"/> ids.</summary>
    public static byte[] TokenizerJson(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, MinimumVocabSize);
        var trailing = DeepSeekTokenizerLayout.TrailingAddedTokens;
        var firstAddedId = vocabSize - trailing.Count;
        var trained = ByteLevelBpeTrainer.Train(CountPieces(), firstAddedId - FixedEntries);

        var vocab = new List<string>(firstAddedId);
        vocab.AddRange(DeepSeekTokenizerLayout.LeadingSpecialTokens);
        vocab.AddRange(Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString()).Order(StringComparer.Ordinal));
        vocab.AddRange(trained.NewTokens);

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, s_jsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");
            WriteAddedTokens(json, firstAddedId);
            json.WriteStartObject("normalizer");
            json.WriteString("type", "Sequence");
            json.WriteStartArray("normalizers");
            json.WriteEndArray();
            json.WriteEndObject();
            WritePreTokenizer(json);
            WriteByteLevel(json, "post_processor", trimOffsets: false);
            WriteByteLevel(json, "decoder", trimOffsets: true);
            WriteModel(json, vocab, trained.Merges);
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>tokenizer_config.json in DeepSeek's shape: BOS/EOS named, nothing added automatically.</summary>
    public static byte[] TokenizerConfigJson(int maxContextTokens)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, s_jsonOptions))
        {
            json.WriteStartObject();
            json.WriteBoolean("add_bos_token", false);
            json.WriteBoolean("add_eos_token", false);
            json.WriteString("bos_token", Chat.DsmlTokens.Bos);
            json.WriteString("eos_token", Chat.DsmlTokens.Eos);
            json.WriteString("pad_token", Chat.DsmlTokens.Eos);
            json.WriteBoolean("clean_up_tokenization_spaces", false);
            json.WriteBoolean("legacy", true);
            json.WriteNumber("model_max_length", maxContextTokens);
            json.WriteString("tokenizer_class", "LlamaTokenizerFast");
            json.WriteString("seeksharp", "demo tokenizer: small vocabulary learned from a fixed built-in text; DeepSeek-V3.2's pre-tokenizer and added tokens");
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>How often each pre-token occurs in the corpus, cut exactly as the tokenizer will cut text.</summary>
    private static Dictionary<string, int> CountPieces()
    {
        var splits = DeepSeekTokenizerLayout.SplitPatterns.Select(p => new CodePointRegex(p)).ToList();
        var preTokenizer = new PreTokenizer(splits);
        var added = DeepSeekTokenizerLayout.LeadingSpecialTokens.Select((t, i) => new AddedToken(i, t, Special: true))
            .Concat(DeepSeekTokenizerLayout.TrailingAddedTokens.Select((t, i) => new AddedToken(1000 + i, t.Content, t.Special)))
            .ToList();
        var matcher = new AddedTokenMatcher(added);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var segments = new List<AddedTokenMatcher.Segment>();
        var pieces = new List<TextRange>();
        foreach (var text in DemoTokenizerCorpus.Texts())
        {
            segments.Clear();
            matcher.Split(text, segments);
            foreach (var segment in segments.Where(s => s.Token is null))
            {
                pieces.Clear();
                preTokenizer.Split(text, segment.Range.Start, segment.Range.End, pieces);
                foreach (var piece in pieces)
                {
                    var key = text.Substring(piece.Start, piece.Length);
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
            }
        }
        return counts;
    }

    private static void WriteAddedTokens(Utf8JsonWriter json, int firstAddedId)
    {
        json.WriteStartArray("added_tokens");
        var leading = DeepSeekTokenizerLayout.LeadingSpecialTokens;
        for (var i = 0; i < leading.Count; i++) WriteAddedToken(json, i, leading[i], special: true);
        var trailing = DeepSeekTokenizerLayout.TrailingAddedTokens;
        for (var i = 0; i < trailing.Count; i++) WriteAddedToken(json, firstAddedId + i, trailing[i].Content, trailing[i].Special);
        json.WriteEndArray();
    }

    private static void WriteAddedToken(Utf8JsonWriter json, int id, string content, bool special)
    {
        json.WriteStartObject();
        json.WriteNumber("id", id);
        json.WriteString("content", content);
        json.WriteBoolean("single_word", false);
        json.WriteBoolean("lstrip", false);
        json.WriteBoolean("rstrip", false);
        json.WriteBoolean("normalized", false);
        json.WriteBoolean("special", special);
        json.WriteEndObject();
    }

    private static void WritePreTokenizer(Utf8JsonWriter json)
    {
        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        foreach (var pattern in DeepSeekTokenizerLayout.SplitPatterns)
        {
            json.WriteStartObject();
            json.WriteString("type", "Split");
            json.WriteStartObject("pattern");
            json.WriteString("Regex", pattern);
            json.WriteEndObject();
            json.WriteString("behavior", "Isolated");
            json.WriteBoolean("invert", false);
            json.WriteEndObject();
        }
        json.WriteStartObject();
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", false);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", false);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter json, string name, bool trimOffsets)
    {
        json.WriteStartObject(name);
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", true);
        json.WriteBoolean("trim_offsets", trimOffsets);
        json.WriteBoolean("use_regex", true);
        json.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter json, List<string> vocab, IReadOnlyList<(string Left, string Right)> merges)
    {
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", false);
        json.WriteStartObject("vocab");
        for (var id = 0; id < vocab.Count; id++) json.WriteNumber(vocab[id], id);
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var (left, right) in merges)
        {
            json.WriteStartArray();
            json.WriteStringValue(left);
            json.WriteStringValue(right);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
