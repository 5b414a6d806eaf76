using System.Text.Json;
using SeekSharp.Core;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>Writer argument checks, atomic replacement and the index file format.</summary>
public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void DataLengthMustMatchTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(_temp.File("x.safetensors"), [new("w", DType.BF16, [2, 3], new byte[11])]));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("needs 12", e.Message);
        Assert.False(File.Exists(_temp.File("x.safetensors")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("__metadata__")]
    public void ReservedOrEmptyNamesAreRejected(string name) =>
        Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(_temp.File("x.safetensors"), [new(name, DType.U8, [1], new byte[1])]));

    [Fact]
    public void DuplicateNamesNegativeDimsAndOverflowAreRejected()
    {
        var path = _temp.File("x.safetensors");
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path,
            [new("a", DType.U8, [1], new byte[1]), new("a", DType.U8, [1], new byte[1])]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new("a", DType.U8, [-1], new byte[0])]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path,
            [new("a", DType.F32, [1L << 40, 1L << 40], new byte[0])]));
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void FailedWriteKeepsTheOldFileAndLeavesNoTempFile()
    {
        var path = _temp.File("model.safetensors");
        SafetensorsWriter.Write(path, [new("old", DType.U8, [2], new byte[] { 1, 2 })]);
        var before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new("new", DType.U8, [3], new byte[2])]));
        Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path, Throwing()));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void FailureAfterTheTempFileIsWrittenCleansUp()
    {
        // The target is a folder, so the final rename fails after all bytes went to the temp file.
        var target = _temp.File("occupied");
        Directory.CreateDirectory(target);
        Assert.ThrowsAny<IOException>(() =>
            SafetensorsWriter.Write(target, [new("t", DType.U8, [4], new byte[4])]));
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void OverwritingReplacesTheWholeFile()
    {
        var path = _temp.File("model.safetensors");
        SafetensorsWriter.Write(path, [new("big", DType.U8, [1000], new byte[1000])]);
        SafetensorsWriter.Write(path, [new("small", DType.U8, [1], new byte[] { 9 })]);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["small"], file.Tensors.Keys);
    }

    [Fact]
    public void IndexHasTheHuggingFaceShapeSortedByName()
    {
        var map = new Dictionary<string, string>
        {
            ["model.norm.weight"] = "model-00002-of-00002.safetensors",
            ["lm_head.weight"] = "model-00002-of-00002.safetensors",
            ["model.embed_tokens.weight"] = "model-00001-of-00002.safetensors",
        };
        SafetensorsWriter.WriteIndex(_temp.Path, map, 123456789012);

        using var json = JsonDocument.Parse(File.ReadAllBytes(_temp.File("model.safetensors.index.json")));
        var root = json.RootElement;
        Assert.Equal(["metadata", "weight_map"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(123456789012, root.GetProperty("metadata").GetProperty("total_size").GetInt64());
        var written = root.GetProperty("weight_map").EnumerateObject().ToList();
        Assert.Equal(["lm_head.weight", "model.embed_tokens.weight", "model.norm.weight"], written.Select(p => p.Name));
        Assert.All(written, p => Assert.Equal(map[p.Name], p.Value.GetString()));

        var index = SafetensorsCheckpoint.ReadIndex(_temp.Path);
        Assert.Equal(123456789012, index.TotalSize);
        Assert.Equal(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"], index.ShardFiles);
        Assert.Equal(map.OrderBy(p => p.Key, StringComparer.Ordinal), index.WeightMap);
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));
    }

    [Theory]
    [InlineData("../outside.safetensors")]
    [InlineData("sub/shard.safetensors")]
    [InlineData("..")]
    [InlineData("")]
    public void IndexRejectsShardNamesThatLeaveTheFolder(string shard) =>
        Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.WriteIndex(_temp.Path, new Dictionary<string, string> { ["w"] = shard }, 0));

    private static IEnumerable<TensorToWrite> Throwing()
    {
        yield return new TensorToWrite("a", DType.U8, [1], new byte[1]);
        throw new InvalidOperationException("producer failed");
    }
}
