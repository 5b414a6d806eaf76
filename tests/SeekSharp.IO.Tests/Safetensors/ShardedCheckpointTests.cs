using SeekSharp.Core;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>Multi-shard folders written with SafetensorsWriter: lazy shard loading, manifest checks and broken indexes.</summary>
public sealed class ShardedCheckpointTests : IDisposable
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";
    private readonly TempFolder _temp = new();

    public ShardedCheckpointTests()
    {
        SafetensorsWriter.Write(_temp.File(Shard1), [Tensor("a", 4, 10), Tensor("b", 2, 20)]);
        SafetensorsWriter.Write(_temp.File(Shard2), [Tensor("c", 3, 30), Tensor("d.weight_scale_inv", 1, 40)]);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TensorsAreServedFromTheirShards()
    {
        WriteIndex(new() { ["a"] = Shard1, ["b"] = Shard1, ["c"] = Shard2, ["d.weight_scale_inv"] = Shard2 });
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);

        Assert.Equal([10f, 11f, 12f, 13f], checkpoint.GetSpan<float>("a").ToArray());
        Assert.Equal([30f, 31f, 32f], checkpoint.GetSpan<float>("c").ToArray());
        Assert.Equal(8, checkpoint.GetBytes("b").Length);
        Assert.Equal(_temp.File(Shard2), checkpoint.WeightMap["c"]);
        Assert.Equal(_temp.File(Shard2), checkpoint.GetInfo("c").File);
        Assert.True(checkpoint.Contains("d.weight_scale_inv"));
        Assert.False(checkpoint.Contains("e"));
        Assert.Equal([_temp.File(Shard1), _temp.File(Shard2)], checkpoint.ShardPaths);
        Assert.Equal(["a", "b", "c", "d.weight_scale_inv"], checkpoint.AllTensors().Select(t => t.Name));
        Assert.Equal(40f, BitConverter.ToSingle(checkpoint.GetView("d.weight_scale_inv").Slice(0, 4)));

        var e = Assert.Throws<CheckpointFormatException>(() => checkpoint.GetInfo("e"));
        Assert.Contains(CheckpointIndex.FileName, e.Message);
        Assert.Contains("'e'", e.Message);
    }

    [Fact]
    public void ReadIndexNeedsNoShard()
    {
        WriteIndex(new() { ["a"] = Shard1, ["c"] = Shard2 }, totalSize: 28);
        File.Delete(_temp.File(Shard1));
        File.Delete(_temp.File(Shard2));

        var index = SafetensorsCheckpoint.ReadIndex(_temp.Path);
        Assert.Equal(28, index.TotalSize);
        Assert.Equal("28", index.Metadata["total_size"]);
        Assert.Equal(Shard2, index.WeightMap["c"]);
        Assert.Equal([Shard1, Shard2], index.ShardFiles);
    }

    [Fact]
    public void MissingShardIsNamedWithATensorThatNeedsIt()
    {
        WriteIndex(new() { ["a"] = Shard1, ["c"] = Shard2, ["z"] = "model-00003-of-00003.safetensors" });
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(_temp.Path));
        Assert.Contains("model-00003-of-00003.safetensors", e.Message);
        Assert.Contains("'z'", e.Message);
    }

    [Fact]
    public void ShardThatVanishesAfterOpenIsReportedOnFirstUse()
    {
        WriteIndex(new() { ["a"] = Shard1, ["c"] = Shard2 });
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        File.Delete(_temp.File(Shard2));
        Assert.Equal(16, checkpoint.GetBytes("a").Length);
        var e = Assert.Throws<CheckpointFormatException>(() => checkpoint.GetBytes("c"));
        Assert.Contains(Shard2, e.Message);
        Assert.Contains("'c'", e.Message);
    }

    [Fact]
    public void TensorMissingFromItsShardNamesBoth()
    {
        WriteIndex(new() { ["a"] = Shard1, ["c"] = Shard1 });   // c really lives in shard 2
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        Assert.Equal(16, checkpoint.GetBytes("a").Length);
        foreach (var read in new Action[] { () => checkpoint.GetBytes("c"), () => checkpoint.GetInfo("c"), () => checkpoint.ReadAllHeaders() })
        {
            var e = Assert.Throws<CheckpointFormatException>(read);
            Assert.Contains(Shard1, e.Message);
            Assert.Contains("'c'", e.Message);
        }
    }

    [Fact]
    public void ABrokenShardHeaderFailsReadAllHeadersWithAFormatErrorNamingThatShard()
    {
        WriteIndex(new() { ["a"] = Shard1, ["c"] = Shard2 });
        var bytes = File.ReadAllBytes(_temp.File(Shard2));
        bytes[8] = (byte)'[';   // the header's opening brace
        File.WriteAllBytes(_temp.File(Shard2), bytes);
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        var e = Assert.Throws<CheckpointFormatException>(() => checkpoint.ReadAllHeaders());
        Assert.Equal(_temp.File(Shard2), e.File);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void TensorsAShardHoldsButTheIndexPutsElsewhereAreIgnored()
    {
        SafetensorsWriter.Write(_temp.File(Shard1), [Tensor("a", 4, 10), Tensor("c", 1, 99)]);   // a stale copy of c
        WriteIndex(new() { ["a"] = Shard1, ["c"] = Shard2 });
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        Assert.Equal([30f, 31f, 32f], checkpoint.GetSpan<float>("c").ToArray());
        Assert.Equal(["a", "c"], checkpoint.ReadAllHeaders().Keys);
    }

    [Fact]
    public void SingleFileWithoutIndex()
    {
        var folder = Path.Combine(_temp.Path, "single");
        Directory.CreateDirectory(folder);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), [Tensor("x", 2, 5), Tensor("y", 1, 7)]);
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        Assert.Null(checkpoint.Index);
        Assert.Equal([5f, 6f], checkpoint.GetSpan<float>("x").ToArray());
        Assert.Equal(["x", "y"], checkpoint.WeightMap.Keys);
        var e = Assert.Throws<CheckpointFormatException>(() => checkpoint.GetInfo("nope"));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.ReadIndex(folder));
    }

    [Fact]
    public void FolderWithoutIndexOrModelFileIsNamed()
    {
        // Shards alone are not enough: without an index nobody knows which files belong to the model.
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(_temp.Path));
        Assert.Contains(_temp.Path, e.Message);
        Assert.Contains(CheckpointIndex.FileName, e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => SafetensorsCheckpoint.Open(Path.Combine(_temp.Path, "absent")));
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"metadata\":{}}", "no weight_map")]
    [InlineData("{\"weight_map\":[]}", "weight_map is not a JSON object")]
    [InlineData("{\"weight_map\":{\"a\":1}}", "'a'")]
    [InlineData("{\"weight_map\":{\"a\":\"../model-00001-of-00002.safetensors\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\":{\"a\":\"/etc/passwd\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\":{\"a\":\"\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\":{\"a\":\"x\",\"a\":\"y\"}}", "Duplicate")]
    [InlineData("{\"weight_map\":{\"a\":\"\\ud800.safetensors\"}}", "not valid Unicode")]
    [InlineData("{\"metadata\":[],\"weight_map\":{}}", "metadata is not a JSON object")]
    [InlineData("{\"metadata\":{\"total_size\":-1},\"weight_map\":{}}", "total_size")]
    [InlineData("{\"metadata\":{\"total_size\":\"12\"},\"weight_map\":{}}", "total_size")]
    public void BrokenIndexIsRejected(string json, string mentions)
    {
        File.WriteAllText(_temp.File(CheckpointIndex.FileName), json);
        foreach (var read in new Action[] { () => SafetensorsCheckpoint.ReadIndex(_temp.Path), () => SafetensorsCheckpoint.Open(_temp.Path) })
        {
            var e = Assert.Throws<CheckpointFormatException>(read);
            Assert.Equal(_temp.File(CheckpointIndex.FileName), e.File);
            Assert.Contains(CheckpointIndex.FileName, e.Message);
            Assert.Contains(mentions, e.Message);
        }
    }

    [Fact]
    public void IndexTotalSizeWrittenAsFloatIsAccepted()
    {
        File.WriteAllText(_temp.File(CheckpointIndex.FileName), "{\"metadata\":{\"total_size\":1.6e1},\"weight_map\":{\"a\":\"" + Shard1 + "\"}}");
        Assert.Equal(16, SafetensorsCheckpoint.ReadIndex(_temp.Path).TotalSize);
    }

    [Fact]
    public void ConcurrentReadersShareOneMappingPerShard()
    {
        WriteIndex(new() { ["a"] = Shard1, ["b"] = Shard1, ["c"] = Shard2, ["d.weight_scale_inv"] = Shard2 });
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        var names = checkpoint.WeightMap.Keys.ToArray();
        var pointers = new System.Collections.Concurrent.ConcurrentDictionary<string, nint>();
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var name = names[i % names.Length];
            var first = checkpoint.GetSpan<float>(name)[0];
            Assert.Equal(Expected(name), first);
            var address = Address(checkpoint, name);
            Assert.Equal(pointers.GetOrAdd(name, address), address);
        });
    }

    [Fact]
    public void ReadingHeadersMapsNothingButReadingDataDoes()
    {
        if (!File.Exists("/proc/self/maps")) Assert.Skip("needs /proc/self/maps (Linux)");
        WriteIndex(new() { ["a"] = Shard1, ["c"] = Shard2 });
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        Assert.Equal(2, checkpoint.ReadAllHeaders().Count);
        Assert.Equal(3, checkpoint.GetInfo("c").ElementCount);
        Assert.False(IsMapped(Shard1));
        Assert.False(IsMapped(Shard2));

        checkpoint.GetBytes("c");
        Assert.False(IsMapped(Shard1));
        Assert.True(IsMapped(Shard2));

        checkpoint.Dispose();
        Assert.False(IsMapped(Shard2));
        Assert.Throws<ObjectDisposedException>(() => checkpoint.GetBytes("c"));
        Assert.Throws<ObjectDisposedException>(() => checkpoint.ReadAllHeaders());
    }

    private bool IsMapped(string shard) => File.ReadAllText("/proc/self/maps").Contains(_temp.File(shard));

    private static unsafe nint Address(SafetensorsCheckpoint checkpoint, string name) => (nint)checkpoint.GetView(name).Pointer;

    private static float Expected(string name) => name switch { "a" => 10, "b" => 20, "c" => 30, _ => 40 };

    /// <summary>F32 tensor [count] holding first, first + 1, ...</summary>
    private static TensorToWrite Tensor(string name, int count, float first)
    {
        var data = new byte[count * 4];
        for (var i = 0; i < count; i++) BitConverter.TryWriteBytes(data.AsSpan(4 * i), first + i);
        return new TensorToWrite(name, DType.F32, [count], data);
    }

    private void WriteIndex(Dictionary<string, string> map, long totalSize = 0) =>
        SafetensorsWriter.WriteIndex(_temp.Path, map, totalSize);
}
