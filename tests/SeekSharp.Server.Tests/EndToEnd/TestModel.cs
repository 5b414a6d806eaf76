using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>
/// A small UNTRAINED DeepSeek-V3.2 checkpoint (the `seek demo` shape: FP8 + block scales, DSA, MoE) whose vocabulary
/// covers the golden stand-in tokenizer (3,021 ids with the real special tokens, padded to 3,072 like the real 129,280)
/// and whose context fits a tools header (4,096 positions). The golden tiny model has 1,024 ids and 256 positions.
/// Written once per machine under the temp folder, in a folder named after its config.
/// </summary>
public static class TestModel
{
    public const int VocabSize = 3072;
    public const int MaxPositions = 4096;

    private static readonly Lazy<string> s_directory = new(Write);

    public static string Directory => s_directory.Value;

    private static string Write()
    {
        var json = JsonNode.Parse(SyntheticConfigs.Demo)!.AsObject();
        json["vocab_size"] = VocabSize;
        json["max_position_embeddings"] = MaxPositions;
        var text = json.ToJsonString();
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant();
        var directory = Path.Combine(Path.GetTempPath(), "seeksharp-server-tests", $"demo-{VocabSize}-{hash}");
        var done = Path.Combine(directory, "complete");
        if (File.Exists(done)) return directory;
        RandomCheckpointWriter.Write(directory, DeepSeekConfig.Parse(text, "server test model"), seed: 5);
        File.WriteAllText(done, "");
        return directory;
    }
}
