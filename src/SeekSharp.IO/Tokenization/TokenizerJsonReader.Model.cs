using System.Text.Json;

namespace SeekSharp.IO.Tokenization;

internal sealed partial class TokenizerJsonReader
{
    private (Dictionary<string, int> Vocab, MergeTable Merges, bool IgnoreMerges) ReadModel(JsonElement model)
    {
        if (model.TryGetProperty("type", out var type) && type.GetString() is { } name && name != "BPE")
            throw Fail("model.type", $"unsupported model '{name}' (only BPE)");
        RejectUnlessDefault(model, "unk_token", "an unknown-token fallback is not supported");
        RejectUnlessDefault(model, "continuing_subword_prefix", "subword prefixes are not supported");
        RejectUnlessDefault(model, "end_of_word_suffix", "end-of-word suffixes are not supported");
        if (Optional(model, "dropout") is { } dropout && (dropout.ValueKind != JsonValueKind.Number || dropout.GetDouble() != 0))
            throw Fail("model.dropout", "BPE dropout is not supported (must be null)");
        if (Flag(model, "byte_fallback", false, "model"))
            throw Fail("model.byte_fallback", "byte_fallback true is not supported (byte-level BPE never needs it)");
        var ignoreMerges = Flag(model, "ignore_merges", false, "model");

        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
            throw Fail("model.vocab", "missing or not an object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (!entry.Value.TryGetInt32(out var id) || id < 0)
                throw Fail($"model.vocab[\"{entry.Name}\"]", "id is not a non-negative integer");
            vocab[entry.Name] = id;
        }
        return (vocab, ReadMerges(model, vocab), ignoreMerges);
    }

    private void RejectUnlessDefault(JsonElement model, string name, string problem)
    {
        if (Optional(model, name) is { } value && !(value.ValueKind == JsonValueKind.String && value.GetString() == ""))
            throw Fail($"model.{name}", $"{problem} (must be null)");
    }

    /// <summary>Merges as ["left", "right"] pairs (tokenizers >= 0.20) or legacy "left right" strings.</summary>
    private MergeTable ReadMerges(JsonElement model, Dictionary<string, int> vocab)
    {
        if (Optional(model, "merges") is not { } merges) return new MergeTable(0);
        if (merges.ValueKind != JsonValueKind.Array) throw Fail("model.merges", "expected an array");
        var table = new MergeTable(merges.GetArrayLength());
        var rank = 0;
        foreach (var merge in merges.EnumerateArray())
        {
            var field = $"model.merges[{rank}]";
            var (left, right) = MergePair(merge, field);
            if (!vocab.TryGetValue(left, out var leftId)) throw Fail(field, $"'{left}' is not in the vocabulary");
            if (!vocab.TryGetValue(right, out var rightId)) throw Fail(field, $"'{right}' is not in the vocabulary");
            if (!vocab.TryGetValue(left + right, out var mergedId)) throw Fail(field, $"merged token '{left + right}' is not in the vocabulary");
            table.Set(leftId, rightId, rank, mergedId);
            rank++;
        }
        return table;
    }

    private (string Left, string Right) MergePair(JsonElement merge, string field)
    {
        if (merge.ValueKind == JsonValueKind.String)
        {
            var parts = merge.GetString()!.Split(' ');
            if (parts.Length != 2) throw Fail(field, "a legacy merge must be two tokens separated by one space");
            return (parts[0], parts[1]);
        }
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
            && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            return (merge[0].GetString()!, merge[1].GetString()!);
        throw Fail(field, "expected [\"left\", \"right\"] or \"left right\"");
    }
}
