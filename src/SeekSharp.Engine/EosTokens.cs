using System.Text.Json;
using SeekSharp.IO.Chat;
using SeekSharp.IO.Tokenization;

namespace SeekSharp.Engine;

/// <summary>End-of-sequence ids of a checkpoint folder: generation_config.json's eos_token_id (else config.json's), plus
/// the tokenizer's &lt;｜end▁of▁sentence｜&gt; id when a tokenizer.json is there.</summary>
public static class EosTokens
{
    public static IReadOnlyList<int> FromModelDirectory(string directory, IReadOnlyList<int> configEos)
    {
        var ids = new List<int>();
        var generation = Path.Combine(directory, "generation_config.json");
        if (File.Exists(generation))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(generation));
            if (json.RootElement.TryGetProperty("eos_token_id", out var eos))
            {
                if (eos.ValueKind == JsonValueKind.Number) ids.Add(eos.GetInt32());
                else if (eos.ValueKind == JsonValueKind.Array) ids.AddRange(eos.EnumerateArray().Select(e => e.GetInt32()));
            }
        }
        if (ids.Count == 0) ids.AddRange(configEos);
        var tokenizer = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(tokenizer) && DeepSeekTokenizer.Load(tokenizer).TokenToId(DsmlTokens.Eos) is { } id) ids.Add(id);
        return [.. ids.Distinct()];
    }
}
