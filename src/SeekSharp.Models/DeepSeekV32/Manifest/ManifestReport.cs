using System.Text;
using SeekSharp.IO;

namespace SeekSharp.Models.DeepSeekV32.Manifest;

/// <summary>Every difference between what the config implies and what a checkpoint holds, found in one pass.</summary>
public sealed class ManifestReport
{
    /// <summary>How many problems <see cref="Describe"/> lists before "and N more".</summary>
    public const int DescribeLimit = 50;

    public ManifestReport(IReadOnlyList<ManifestProblem> problems, long parameterCount)
    {
        Problems = problems;
        ParameterCount = parameterCount;
    }

    /// <summary>Expected-tensor problems in manifest order, then unexpected tensors sorted by name.</summary>
    public IReadOnlyList<ManifestProblem> Problems { get; }

    public bool Ok => Problems.Count == 0;

    /// <summary>Elements of every expected tensor of the main model (FP8 scales and MTP layers excluded).</summary>
    public long ParameterCount { get; }

    /// <summary>"manifest OK", or the problem count and the first <see cref="DescribeLimit"/> problems, one a line.</summary>
    public string Describe()
    {
        if (Ok) return "manifest OK";
        var text = new StringBuilder($"{Problems.Count} manifest problem(s):");
        foreach (var p in Problems.Take(DescribeLimit)) text.Append("\n  ").Append(p);
        if (Problems.Count > DescribeLimit) text.Append($"\n  ... and {Problems.Count - DescribeLimit} more");
        return text.ToString();
    }

    /// <exception cref="CheckpointFormatException">Any problem; the message is <see cref="Describe"/>.</exception>
    public void ThrowIfFailed(string checkpointPath)
    {
        if (!Ok) throw new CheckpointFormatException(checkpointPath, null, Describe());
    }
}

/// <summary>One difference between the config's manifest and a checkpoint.</summary>
/// <param name="Tensor">The tensor at fault (for scale problems, the scale's name).</param>
/// <param name="Kind">One of <see cref="ManifestProblemKinds"/>.</param>
/// <param name="Detail">Expected vs found, and the shard where known.</param>
public sealed record ManifestProblem(string Tensor, string Kind, string Detail)
{
    public override string ToString() => $"{Kind}: {Tensor}: {Detail}";
}

/// <summary>The values of <see cref="ManifestProblem.Kind"/>.</summary>
public static class ManifestProblemKinds
{
    /// <summary>An expected tensor is not in the checkpoint.</summary>
    public const string Missing = nameof(Missing);

    /// <summary>The checkpoint holds a tensor the config does not explain (MTP layers excepted).</summary>
    public const string UnexpectedTensor = nameof(UnexpectedTensor);

    public const string WrongShape = nameof(WrongShape);

    /// <summary>A weight's (or an FP8 scale's) dtype is not one the manifest allows.</summary>
    public const string WrongDType = nameof(WrongDType);

    /// <summary>An FP8 weight has no weight_scale_inv sibling.</summary>
    public const string MissingScale = nameof(MissingScale);

    public const string WrongScaleShape = nameof(WrongScaleShape);
}
