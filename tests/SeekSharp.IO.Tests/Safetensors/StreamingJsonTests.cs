using System.Text;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>
/// The streaming fast paths for headers and indexes stand in for the strict DOM parser on plain input. Whatever they
/// accept, the DOM parser must accept with the same result; what they decline goes to the DOM parser unchanged.
/// </summary>
public sealed class StreamingJsonTests : IDisposable
{
    private const int Seed = 20261128;
    private const int Iterations = 4000;
    private const string File = "x.safetensors";

    private static readonly (string Json, long DataLength)[] s_headers =
    [
        ("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[3,4],\"data_offsets\":[0,12]}," +
         "\"a_scale_inv\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[12,16]}," +
         "\"n\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[16,26]},\"s\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[26,27]}," +
         "\"e\":{\"dtype\":\"I32\",\"shape\":[0,7],\"data_offsets\":[27,27]},\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[27,30]}}  ", 30),
        ("{\"w\": {\"shape\": [2, 2], \"data_offsets\": [0, 16], \"dtype\": \"F32\"}, \"wé\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [16, 24]}}", 24),
        ("{\"z\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]},\"y\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]},\"__metadata__\":{}}", 8),
        ("{}", 0),
    ];

    private static readonly string[] s_indexes =
    [
        "{\"metadata\":{\"total_size\":40},\"weight_map\":{\"a\":\"m-1.safetensors\",\"b\":\"m-1.safetensors\",\"c\":\"m-2.safetensors\",\"d\":\"m-1.safetensors\"}}",
        "{\"weight_map\": {\"x\": \"one.safetensors\"}, \"metadata\": {\"note\": \"é\", \"total_size\": 7, \"n\": 12}}",
        "{\"weight_map\":{}}",
    ];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void PlainHeadersTakeTheFastPathWithTheDomResult()
    {
        foreach (var (json, dataLength) in s_headers)
        {
            var fast = SafetensorsHeaderStreaming.TryParse(Encoding.UTF8.GetBytes(json), dataLength, null);
            Assert.NotNull(fast);
            AssertSame(SafetensorsHeaderJson.ParseDocument(File, Encoding.UTF8.GetBytes(json), dataLength), fast);
        }
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":{\"k\":[1,2]}}}")]   // unknown field
    [InlineData("{\"\\u0077\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}")]                       // escaped name
    [InlineData("{\"w\":{\"dtype\":\"U\\u0038\",\"shape\":[1],\"data_offsets\":[0,1]}}")]                       // escaped dtype
    [InlineData("{\"__metadata__\":{\"k\":\"a\\nb\"},\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}")]            // rank over the fast path's
    public void OtherValidHeadersAreDeclinedAndReadByTheDom(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Null(SafetensorsHeaderStreaming.TryParse(bytes, 1, null));
        AssertSame(SafetensorsHeaderJson.ParseDocument(File, bytes, 1), SafetensorsHeaderJson.Parse(File, bytes, 1));
    }

    [Fact]
    public void MutatedHeadersAreAcceptedByTheFastPathOnlyWhenTheDomAgrees()
    {
        var mutator = new FuzzMutator(Seed);
        int fastAccepted = 0, domOnly = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var (seed, dataLength) = s_headers[i % s_headers.Length];
            var (json, label) = mutator.MutateJson(seed);
            if (json.Length > 0 && mutator.Next(3) == 0) (json, label) = (mutator.MutateJson(json).Json, label + " twice");
            var bytes = Encoding.UTF8.GetBytes(json);
            var fast = SafetensorsHeaderStreaming.TryParse(bytes, dataLength, null);
            SafetensorsHeaderJson.Result? dom;
            try
            {
                dom = SafetensorsHeaderJson.ParseDocument(File, bytes, dataLength);
            }
            catch (CheckpointFormatException)
            {
                dom = null;
            }
            if (fast is null)
            {
                if (dom is not null) domOnly++;
                continue;
            }
            Assert.True(dom is not null, $"iteration {i}, {label}: the fast path accepted what the DOM rejects:\n{json}");
            AssertSame(dom, fast);
            fastAccepted++;
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"fast path accepted {fastAccepted}, DOM alone {domOnly}");
        // most mutants break an entry's own checks; ~5% stay valid and plain
        Assert.True(fastAccepted > Iterations / 50, $"only {fastAccepted} mutants took the fast path");
    }

    [Fact]
    public void PlainIndexesTakeTheFastPathWithTheDomResult()
    {
        foreach (var json in s_indexes)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            var fast = CheckpointIndex.TryParsePlain(File, bytes);
            Assert.NotNull(fast);
            AssertSame(CheckpointIndex.ParseDocument(File, bytes), fast);
        }
    }

    [Theory]
    [InlineData("{\"metadata\":{\"total_size\":1.5e3},\"weight_map\":{\"a\":\"s.safetensors\"}}")]   // float size
    [InlineData("{\"metadata\":{\"tags\":[\"x\"]},\"weight_map\":{\"a\":\"s.safetensors\"}}")]       // non-scalar metadata
    [InlineData("{\"weight_map\":{\"a\":\"s.safetensors\"},\"extra\":{\"k\":1}}")]                    // unknown key
    [InlineData("{\"weight_map\":{\"a\":\"s\\u002esafetensors\"}}")]                                  // escaped shard
    public void OtherValidIndexesAreDeclinedAndReadByTheDom(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Null(CheckpointIndex.TryParsePlain(File, bytes));
        var path = _temp.WriteBytes(CheckpointIndex.FileName, bytes);
        AssertSame(CheckpointIndex.ParseDocument(path, bytes), CheckpointIndex.Read(path));
    }

    [Fact]
    public void MutatedIndexesAreAcceptedByTheFastPathOnlyWhenTheDomAgrees()
    {
        var mutator = new FuzzMutator(Seed + 1);
        var fastAccepted = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var (json, label) = mutator.MutateJson(s_indexes[i % s_indexes.Length]);
            var bytes = Encoding.UTF8.GetBytes(json);
            var fast = CheckpointIndex.TryParsePlain(File, bytes);
            if (fast is null) continue;
            CheckpointIndex dom;
            try
            {
                dom = CheckpointIndex.ParseDocument(File, bytes);
            }
            catch (CheckpointFormatException e)
            {
                Assert.Fail($"iteration {i}, {label}: the fast path accepted what the DOM rejects ({e.Message}):\n{json}");
                throw;
            }
            AssertSame(dom, fast);
            fastAccepted++;
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"fast path accepted {fastAccepted}");
        Assert.True(fastAccepted > Iterations / 10, $"only {fastAccepted} mutants took the fast path");
    }

    [Fact]
    public void CheckpointHeadersReuseTheIndexNameStrings()
    {
        SafetensorsWriter.Write(_temp.File("m-1.safetensors"), [new("layer.weight", Core.DType.U8, [2], new byte[2])]);
        SafetensorsWriter.WriteIndex(_temp.Path, new Dictionary<string, string> { ["layer.weight"] = "m-1.safetensors" }, 2);
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        var fromIndex = checkpoint.Index!.WeightMap.Keys.Single();
        Assert.Same(fromIndex, checkpoint.ReadAllHeaders()["layer.weight"].Name);
    }

    private static void AssertSame(SafetensorsHeaderJson.Result expected, SafetensorsHeaderJson.Result actual)
    {
        Assert.Equal(expected.Metadata.ToList(), actual.Metadata.ToList());
        Assert.Equal(expected.Entries.Count, actual.Entries.Count);
        for (var i = 0; i < expected.Entries.Count; i++)
        {
            var (e, a) = (expected.Entries[i], actual.Entries[i]);
            Assert.Equal((e.Name, e.DType, e.Begin, e.End), (a.Name, a.DType, a.Begin, a.End));
            Assert.Equal(e.Shape, a.Shape);
        }
    }

    private static void AssertSame(CheckpointIndex expected, CheckpointIndex actual)
    {
        Assert.Equal(expected.WeightMap.ToList(), actual.WeightMap.ToList());
        Assert.Equal(expected.Metadata.ToList(), actual.Metadata.ToList());
        Assert.Equal(expected.TotalSize, actual.TotalSize);
        Assert.Equal(expected.ShardFiles, actual.ShardFiles);
    }
}
