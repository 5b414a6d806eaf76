using System.Buffers.Binary;
using SeekSharp.Core;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>SafetensorsWriter → SafetensorsFile round trips, for every dtype and odd shapes.</summary>
public sealed class SafetensorsRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<DType> AllDTypes() => new(Enum.GetValues<DType>());

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void EveryDTypeRoundTripsBitExactly(DType dtype)
    {
        var size = dtype.SizeOf();
        var random = new Random(1234 + (int)dtype);
        var matrix = RandomBytes(random, 3 * 5 * size);   // [3, 5]
        var scalar = RandomBytes(random, size);           // []
        var path = _temp.File($"{dtype}.safetensors");
        SafetensorsWriter.Write(path,
        [
            new TensorToWrite("m", dtype, [3, 5], matrix),
            new TensorToWrite("s", dtype, [], scalar),
            new TensorToWrite("empty", dtype, [0, 4], Array.Empty<byte>()),
        ]);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["m", "s", "empty"], file.Tensors.Keys);
        var m = file.GetInfo("m");
        Assert.Equal(dtype, m.DType);
        Assert.Equal([3L, 5L], m.Shape);
        Assert.Equal(15, m.ElementCount);
        Assert.Equal(path, m.File);
        Assert.Equal(matrix, file.GetBytes("m").ToArray());
        Assert.Equal(scalar, file.GetBytes("s").ToArray());
        Assert.Empty(file.GetInfo("s").Shape);
        Assert.Equal(1, file.GetInfo("s").ElementCount);
        Assert.Equal(0, file.GetInfo("empty").ByteLength);
        Assert.True(file.GetBytes("empty").IsEmpty);

        var raw = File.ReadAllBytes(path);
        Assert.Equal(matrix, raw.AsSpan((int)m.DataOffset, matrix.Length).ToArray());
    }

    [Fact]
    public void TypedSpansSeeLittleEndianValues()
    {
        float[] values = [1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f];
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        long[] ids = [-1, long.MaxValue, 42];
        var idBytes = new byte[ids.Length * 8];
        for (var i = 0; i < ids.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(idBytes.AsSpan(8 * i), ids[i]);

        var path = _temp.File("typed.safetensors");
        SafetensorsWriter.Write(path, [new("odd", DType.U8, [3], new byte[] { 7, 8, 9 }),
            new("f", DType.F32, [2, 3], bytes), new("ids", DType.I64, [3], idBytes)]);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(values, file.GetSpan<float>("f").ToArray());    // data offset 3: unaligned on purpose
        Assert.Equal(ids, file.GetSpan<long>("ids").ToArray());
        Assert.Equal([7, 8, 9], file.GetSpan<byte>("odd").ToArray());
    }

    [Fact]
    public void GetSpanRejectsAnElementTypeOfTheWrongSize()
    {
        var path = _temp.File("typed.safetensors");
        SafetensorsWriter.Write(path, [new("f", DType.F32, [2], new byte[8]), new("h", DType.BF16, [2], new byte[4])]);
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<InvalidOperationException>(() => file.GetSpan<double>("f"));
        Assert.Contains("'f'", e.Message);
        Assert.Contains("F32", e.Message);
        Assert.Throws<InvalidOperationException>(() => file.GetSpan<float>("h"));
        Assert.Equal(2, file.GetSpan<ushort>("h").Length);
        Assert.Equal(2, file.GetSpan<Half>("h").Length);
    }

    [Fact]
    public void FileLayoutIsTheHuggingFaceOne()
    {
        var path = _temp.File("layout.safetensors");
        var a = RawSafetensors.Counting(6);
        var b = RawSafetensors.Counting(4);
        SafetensorsWriter.Write(path, [new("z.first", DType.BF16, [3], a), new("a.second", DType.F32, [1], b)]);

        var raw = File.ReadAllBytes(path);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        Assert.Equal(0, n % 8);
        var header = System.Text.Encoding.UTF8.GetString(raw, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"format\":\"pt\"},\"z.first\":", header);
        Assert.Equal(header.TrimEnd(' ').Length, header.TrimEnd().Length);   // padding is plain spaces
        Assert.EndsWith("}", header.TrimEnd(' '));
        Assert.Equal(8 + n + 10, raw.Length);
        Assert.Equal([.. a, .. b], raw[(int)(8 + n)..]);                     // contiguous, in the given order

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["z.first", "a.second"], file.Tensors.Keys);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(8 + n, file.GetInfo("z.first").DataOffset);
        Assert.Equal(8 + n + 6, file.GetInfo("a.second").DataOffset);
    }

    [Fact]
    public void MetadataRoundTripsAndEmptyMetadataWritesNone()
    {
        var withMeta = _temp.File("meta.safetensors");
        SafetensorsWriter.Write(withMeta, [new("t", DType.U8, [1], new byte[1])],
            new Dictionary<string, string> { ["impl"] = "unicode ✓ \"quoted\"", ["format"] = "np" });
        using (var file = SafetensorsFile.Open(withMeta))
        {
            Assert.Equal("unicode ✓ \"quoted\"", file.Metadata["impl"]);
            Assert.Equal("np", file.Metadata["format"]);
        }

        var noMeta = _temp.File("nometa.safetensors");
        SafetensorsWriter.Write(noMeta, [new("t", DType.U8, [1], new byte[1])], new Dictionary<string, string>());
        using (var file = SafetensorsFile.Open(noMeta)) Assert.Empty(file.Metadata);
        Assert.DoesNotContain("__metadata__", System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(noMeta)));
    }

    [Fact]
    public void NoTensorsAtAll()
    {
        var path = _temp.File("empty.safetensors");
        SafetensorsWriter.Write(path, []);
        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Equal(0, file.Header.DataLength);
    }

    [Fact]
    public void TensorNamesWithUnicodeAndEscapesSurvive()
    {
        var path = _temp.File("names.safetensors");
        string[] names = ["model.layers.0.self_attn.q_a_proj.weight", "ünï/cödé ✓", "quote\"back\\slash", "tab\there", "+<&>"];
        SafetensorsWriter.Write(path, names.Select((n, i) => new TensorToWrite(n, DType.U8, [1], new[] { (byte)i })));
        using var file = SafetensorsFile.Open(path);
        for (var i = 0; i < names.Length; i++) Assert.Equal((byte)i, file.GetBytes(names[i])[0]);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
