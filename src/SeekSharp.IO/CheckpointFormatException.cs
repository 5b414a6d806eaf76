namespace SeekSharp.IO;

/// <summary>A checkpoint file (safetensors shard, index or config) is malformed; names the file and, where known, the tensor or key.</summary>
public sealed class CheckpointFormatException : Exception
{
    public CheckpointFormatException(string file, string? item, string problem, Exception? inner = null)
        : base(Describe(file, item, problem), inner)
    {
        File = file;
        Item = item;
        Problem = problem;
    }

    /// <summary>The file at fault.</summary>
    public string File { get; }

    /// <summary>The tensor name or config key at fault, when one is.</summary>
    public string? Item { get; }

    public string Problem { get; }

    private static string Describe(string file, string? item, string problem) =>
        item is null ? $"{file}: {problem}" : $"{file}: '{item}': {problem}";
}
