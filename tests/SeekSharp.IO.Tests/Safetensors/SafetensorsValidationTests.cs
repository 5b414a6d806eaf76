using System.Text;
using SeekSharp.IO.Safetensors;

namespace SeekSharp.IO.Tests.Safetensors;

/// <summary>One test per way a safetensors file can be malformed: each must surface as a CheckpointFormatException
/// that names the file and, where one is at fault, the tensor.</summary>
public sealed class SafetensorsValidationTests : IDisposable
{
    private const string FileName = "broken.safetensors";
    private const string W = "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TheTemplateItselfIsValid()
    {
        using var file = SafetensorsFile.Open(_temp.WriteBytes("ok.safetensors", RawSafetensors.Build("{" + W + "}", new byte[16])));
        Assert.Equal([2L, 2L], file.GetInfo("w").Shape);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void FileShorterThanTheLengthField(int length) =>
        Rejected(new byte[length], mentions: "shorter than the 8-byte");

    [Fact]
    public void HeaderLengthOverTheLimit() =>
        Rejected(RawSafetensors.Build(100_000_001UL, Encoding.UTF8.GetBytes("{}"), []), mentions: "exceeds the limit");

    [Fact]
    public void HeaderLengthNearULongMax() =>
        Rejected(RawSafetensors.Build(ulong.MaxValue - 3, Encoding.UTF8.GetBytes("{}"), []), mentions: "exceeds the limit");

    [Fact]
    public void HeaderRunsPastTheEndOfTheFile() =>
        Rejected(RawSafetensors.Build(3UL, [], []), mentions: "past the end of the file");

    [Fact]
    public void HeaderIsNotUtf8() =>
        Rejected(RawSafetensors.Build([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'{', (byte)'}', (byte)'}'], []),
            mentions: "UTF-8");

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"w\":}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{} {}")]
    [InlineData("{/* comment */}")]
    public void HeaderIsNotJson(string header) => Rejected(RawSafetensors.Build(header, []), mentions: "not valid JSON");

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"\\ud800\",\"shape\":[],\"data_offsets\":[0,0]}}")]
    [InlineData("{\"\\udc00\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,0]}}")]
    [InlineData("{\"__metadata__\":{\"format\":\"\\ud800x\"}}")]
    public void EscapedLoneSurrogate(string header) =>
        Rejected(RawSafetensors.Build(header, []), mentions: "not valid Unicode");

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void HeaderIsNotAnObject(string header) => Rejected(RawSafetensors.Build(header, []), mentions: "expected an object");

    [Fact]
    public void HeaderNestedTooDeep()
    {
        var deep = new string('[', 200) + new string(']', 200);
        Rejected(RawSafetensors.Build("{\"w\":{\"x\":" + deep + "}}", []), mentions: "not valid JSON");
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"F32\"")]
    [InlineData("null")]
    public void EntryIsNotAnObject(string entry) =>
        Rejected(RawSafetensors.Build("{\"w\":" + entry + "}", []), tensor: "w", mentions: "expected an object");

    [Theory]
    [InlineData("{\"shape\":[2,2],\"data_offsets\":[0,16]}", "no 'dtype'")]
    [InlineData("{\"dtype\":\"F32\",\"data_offsets\":[0,16]}", "no 'shape'")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2,2]}", "no 'data_offsets'")]
    [InlineData("{\"dtype\":32,\"shape\":[2,2],\"data_offsets\":[0,16]}", "'dtype' is a JSON number")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":\"2x2\",\"data_offsets\":[0,16]}", "'shape' is a JSON string")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":{\"begin\":0}}", "'data_offsets' is a JSON object")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[\"2\",2],\"data_offsets\":[0,16]}", "'shape' holds \"2\"")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2.5,2],\"data_offsets\":[0,16]}", "'shape' holds 2.5")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,null]}", "'data_offsets' holds null")]
    public void EntryFieldMissingOrWrongType(string entry, string mentions) =>
        Rejected(RawSafetensors.Build("{\"w\":" + entry + "}", new byte[16]), tensor: "w", mentions: mentions);

    [Fact]
    public void UnknownDTypeIsNamed() =>
        Rejected(Single("\"F33\"", "[2,2]", "[0,16]", 16), tensor: "w", mentions: "unknown dtype 'F33'");

    [Fact]
    public void UnsupportedSafetensorsDTypeIsNamed() =>
        Rejected(Single("\"F64\"", "[2,2]", "[0,32]", 32), tensor: "w", mentions: "'F64' is a valid safetensors dtype but is not supported");

    [Fact]
    public void DTypeNamesAreCaseSensitive() =>
        Rejected(Single("\"f32\"", "[2,2]", "[0,16]", 16), tensor: "w", mentions: "unknown dtype 'f32'");

    [Fact]
    public void NegativeDimension() =>
        Rejected(Single("\"F32\"", "[-2,-2]", "[0,16]", 16), tensor: "w", mentions: "'shape' holds -2");

    [Fact]
    public void DimensionBeyondInt64() =>
        Rejected(Single("\"U8\"", "[9223372036854775808]", "[0,16]", 16), tensor: "w", mentions: "non-negative 64-bit integer");

    [Theory]
    [InlineData("[4294967296,4294967296]")]        // prod alone overflows
    [InlineData("[2305843009213693952,4]")]        // prod fits (2^63), prod × 4 bytes does not
    [InlineData("[3037000500,3037000500,0,7]")]    // overflows before the zero dimension is reached
    public void ShapeTimesItemSizeOverflows(string shape) =>
        Rejected(Single("\"F32\"", shape, "[0,16]", 16), tensor: "w", mentions: "overflows");

    [Theory]
    [InlineData("[0]")]
    [InlineData("[0,16,32]")]
    [InlineData("[]")]
    public void DataOffsetsNotAPair(string offsets) =>
        Rejected(Single("\"F32\"", "[2,2]", offsets, 16), tensor: "w", mentions: "expected [begin, end]");

    [Fact]
    public void DataOffsetsBeginAfterEnd() =>
        Rejected(Single("\"F32\"", "[2,2]", "[16,0]", 16), tensor: "w", mentions: "begin > end");

    [Fact]
    public void DataOffsetsNegative() =>
        Rejected(Single("\"F32\"", "[2,2]", "[-16,0]", 16), tensor: "w", mentions: "'data_offsets' holds -16");

    [Fact]
    public void DataOffsetsEndPastTheBuffer() =>
        Rejected(Single("\"F32\"", "[2,2]", "[0,16]", 15), tensor: "w", mentions: "past the end of the data buffer (15 bytes)");

    [Fact]
    public void ByteLengthDoesNotMatchShape() =>
        Rejected(Single("\"F32\"", "[2,3]", "[0,16]", 16), tensor: "w", mentions: "needs 24");

    [Fact]
    public void OverlappingTensorsNameBoth()
    {
        var header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}," +
                     "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}";
        var e = Rejected(RawSafetensors.Build(header, new byte[12]), tensor: "b", mentions: "overlap");
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void ZeroLengthTensorInsideAnotherOverlaps()
    {
        var header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}," +
                     "\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]}}";
        Rejected(RawSafetensors.Build(header, new byte[8]), tensor: "z", mentions: "overlap");
    }

    [Fact]
    public void HoleBetweenTensors()
    {
        var header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}," +
                     "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}";
        Rejected(RawSafetensors.Build(header, new byte[12]), tensor: "b", mentions: "hole: bytes [4, 8)");
    }

    [Fact]
    public void HoleAtTheStartOfTheBuffer() =>
        Rejected(Single("\"U8\"", "[4]", "[4,8]", 8), tensor: "w", mentions: "hole: bytes [0, 4)");

    [Fact]
    public void TrailingBytesAfterTheLastTensor() =>
        Rejected(RawSafetensors.Build("{" + W + "}", new byte[20]), tensor: "w", mentions: "4 trailing bytes");

    [Fact]
    public void DataButNoTensors() => Rejected(RawSafetensors.Build("{}", new byte[3]), mentions: "3 trailing bytes");

    [Theory]
    [InlineData("[]")]
    [InlineData("\"pt\"")]
    [InlineData("null")]
    public void MetadataIsNotAnObject(string metadata) =>
        Rejected(RawSafetensors.Build("{\"__metadata__\":" + metadata + "," + W + "}", new byte[16]),
            tensor: "__metadata__", mentions: "expected an object of strings");

    [Theory]
    [InlineData("{\"format\":1}")]
    [InlineData("{\"format\":{\"a\":\"b\"}}")]
    [InlineData("{\"format\":null}")]
    public void MetadataValueIsNotAString(string metadata) =>
        Rejected(RawSafetensors.Build("{\"__metadata__\":" + metadata + "," + W + "}", new byte[16]),
            tensor: "__metadata__", mentions: "value of 'format'");

    [Theory]
    [InlineData("{" + W + "," + W + "}")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}")]
    [InlineData("{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"}," + W + "}")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{}," + W + "}")]
    public void DuplicateKeys(string header) =>
        Rejected(RawSafetensors.Build(header, new byte[16]), mentions: "Duplicate");

    [Fact]
    public void AbsentTensorIsNamedWithTheFile()
    {
        var path = _temp.WriteBytes(FileName, RawSafetensors.Build("{" + W + "}", new byte[16]));
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<CheckpointFormatException>(() => file.GetInfo("model.missing.weight"));
        Assert.Contains(FileName, e.Message);
        Assert.Contains("model.missing.weight", e.Message);
        Assert.Throws<CheckpointFormatException>(() => file.GetBytes("model.missing.weight"));
    }

    /// <summary>A header with the single tensor "w" and a zero-filled data buffer of <paramref name="dataLength"/> bytes.</summary>
    private static byte[] Single(string dtype, string shape, string offsets, int dataLength) =>
        RawSafetensors.Build($"{{\"w\":{{\"dtype\":{dtype},\"shape\":{shape},\"data_offsets\":{offsets}}}}}", new byte[dataLength]);

    /// <summary>Asserts that both the mapping reader and the header-only reader reject the file with a precise message.</summary>
    private CheckpointFormatException Rejected(byte[] bytes, string? tensor = null, string? mentions = null)
    {
        var path = _temp.WriteBytes(FileName, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.File);
        Assert.Contains(FileName, e.Message);
        Assert.Equal(tensor, e.Item);
        if (tensor is not null) Assert.Contains($"'{tensor}'", e.Message);
        if (mentions is not null) Assert.Contains(mentions, e.Message);

        var headerOnly = Assert.Throws<CheckpointFormatException>(() => SafetensorsHeader.Read(path));
        Assert.Equal(e.Message, headerOnly.Message);
        return e;
    }
}
