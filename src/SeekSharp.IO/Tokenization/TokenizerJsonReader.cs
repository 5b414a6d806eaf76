using System.Text.Json;
using SeekSharp.IO.Tokenization.Regex;

namespace SeekSharp.IO.Tokenization;

/// <summary>
/// Reads an HF tokenizer.json of the byte-level BPE kind (DeepSeek-V3/V3.1/V3.2, GPT-2 style).
/// Every field that would change ids is either honoured or rejected with a
/// <see cref="TokenizerFormatException"/> naming the file and field; nothing is silently ignored
/// except the post_processor (this tokenizer never adds special tokens: the prompt carries BOS).
/// </summary>
internal sealed partial class TokenizerJsonReader
{
    private readonly string _file;

    private TokenizerJsonReader(string file) => _file = file;

    public static TokenizerDefinition Read(string path)
    {
        var reader = new TokenizerJsonReader(path);
        JsonDocument document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(path, "(root)", $"not valid JSON: {e.Message}", e);
        }
        using (document) return reader.ReadRoot(document.RootElement);
    }

    private TokenizerFormatException Fail(string field, string problem, Exception? inner = null) => new(_file, field, problem, inner);

    private TokenizerDefinition ReadRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Fail("(root)", "expected a JSON object");
        RequireNullOrAbsent(root, "truncation");
        RequireNullOrAbsent(root, "padding");
        ReadNormalizer(Optional(root, "normalizer"), "normalizer");
        ReadDecoder(Optional(root, "decoder"));
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw Fail("model", "missing (expected a BPE model object)");
        var (vocab, merges, ignoreMerges) = ReadModel(model);
        var added = ReadAddedTokens(Optional(root, "added_tokens"));
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind == JsonValueKind.Null)
            throw Fail("pre_tokenizer", "missing: a byte-level BPE tokenizer needs a ByteLevel pre-tokenizer");
        var splits = new List<CodePointRegex>();
        var sawByteLevel = false;
        ReadPreTokenizer(pre, "pre_tokenizer", splits, ref sawByteLevel);
        if (!sawByteLevel) throw Fail("pre_tokenizer", "no ByteLevel step: only byte-level BPE tokenizers are supported");
        return new TokenizerDefinition(vocab, merges, ignoreMerges, added, splits);
    }

    private static JsonElement? Optional(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private void RequireNullOrAbsent(JsonElement obj, string name)
    {
        if (Optional(obj, name) is not null) throw Fail(name, "must be null: truncation and padding are not supported");
    }

    private string TypeOf(JsonElement element, string field)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Fail(field, "expected an object");
        if (!element.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            throw Fail($"{field}.type", "missing");
        return type.GetString()!;
    }

    // Only the identity normalizer (null or a Sequence of nothing but identities) is supported.
    private void ReadNormalizer(JsonElement? normalizer, string field)
    {
        if (normalizer is not { } n) return;
        var type = TypeOf(n, field);
        if (type != "Sequence")
            throw Fail($"{field}.type", $"unsupported normalizer '{type}' (only null or an empty Sequence)");
        if (!n.TryGetProperty("normalizers", out var list) || list.ValueKind != JsonValueKind.Array)
            throw Fail($"{field}.normalizers", "missing or not an array");
        var i = 0;
        foreach (var inner in list.EnumerateArray()) ReadNormalizer(inner, $"{field}.normalizers[{i++}]");
    }

    private void ReadDecoder(JsonElement? decoder)
    {
        if (decoder is not { } d) throw Fail("decoder", "missing: a ByteLevel decoder is required");
        var type = TypeOf(d, "decoder");
        if (type != "ByteLevel") throw Fail("decoder.type", $"unsupported decoder '{type}' (only ByteLevel)");
    }

    private List<AddedToken> ReadAddedTokens(JsonElement? element)
    {
        var result = new List<AddedToken>();
        if (element is not { } list) return result;
        if (list.ValueKind != JsonValueKind.Array) throw Fail("added_tokens", "expected an array");
        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var field = $"added_tokens[{i++}]";
            if (item.ValueKind != JsonValueKind.Object) throw Fail(field, "expected an object");
            if (!item.TryGetProperty("id", out var id) || !id.TryGetInt32(out var idValue) || idValue < 0)
                throw Fail($"{field}.id", "missing or not a non-negative integer");
            if (!item.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                throw Fail($"{field}.content", "missing or not a string");
            var text = content.GetString()!;
            if (text.Length == 0) throw Fail($"{field}.content", "empty");
            // Defaults are those of HF's AddedToken (normalized defaults to true).
            result.Add(new AddedToken(idValue, text,
                Special: Flag(item, "special", false, field),
                LStrip: Flag(item, "lstrip", false, field),
                RStrip: Flag(item, "rstrip", false, field),
                SingleWord: Flag(item, "single_word", false, field),
                Normalized: Flag(item, "normalized", true, field)));
        }
        return result;
    }

    private bool Flag(JsonElement obj, string name, bool fallback, string field)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail($"{field}.{name}", "expected true or false"),
        };
    }
}

/// <summary>What <see cref="TokenizerJsonReader"/> extracts from a tokenizer.json.</summary>
internal sealed record TokenizerDefinition(
    Dictionary<string, int> Vocabulary,
    MergeTable Merges,
    bool IgnoreMerges,
    IReadOnlyList<AddedToken> AddedTokens,
    IReadOnlyList<CodePointRegex> Splits);
