using SeekSharp.IO.Config;
using SeekSharp.Models.DeepSeekV32.Synthetic;

namespace SeekSharp.Server.Tests.EndToEnd;

/// <summary>
/// A small UNTRAINED DeepSeek-V3.2 checkpoint (the `seek demo` shape: FP8 + block scales, DSA, MoE) whose vocabulary
/// covers the golden stand-in tokenizer (3,021 ids, padded to 3,072 like the real 129,280) and whose context fits a
/// tools header (4,096 positions). The golden tiny model has 1,024 ids and 256 positions: too small for chat prompts.
/// Written once per machine under the temp folder.
/// </summary>
public static class TestModel
{
    public const int VocabSize = 3072;
    public const int MaxPositions = 4096;

    private static readonly Lazy<string> s_directory = new(Write);

    public static string Directory => s_directory.Value;

    private static string Write()
    {
        var config = SyntheticConfigs.Demo
            .Replace("\"vocab_size\": 1024", $"\"vocab_size\": {VocabSize}", StringComparison.Ordinal)
            .Replace("\"max_position_embeddings\": 256", $"\"max_position_embeddings\": {MaxPositions}", StringComparison.Ordinal)
            .Replace("\"original_max_position_embeddings\": 64", "\"original_max_position_embeddings\": 1024", StringComparison.Ordinal);
        var directory = Path.Combine(Path.GetTempPath(), "seeksharp-server-tests", "demo-3072-v1");
        var done = Path.Combine(directory, "complete");
        if (File.Exists(done)) return directory;
        RandomCheckpointWriter.Write(directory, DeepSeekConfig.Parse(config, "server test model"), seed: 5);
        File.WriteAllText(done, "");
        return directory;
    }
}
