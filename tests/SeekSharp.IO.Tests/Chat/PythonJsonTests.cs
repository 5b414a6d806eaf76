using SeekSharp.IO.Chat;

namespace SeekSharp.IO.Tests.Chat;

// Expected strings are what CPython 3.11 prints for json.dumps(json.loads(x), ensure_ascii=False)
// (README rule 8 and the encoder spec §5.5).
public class PythonJsonTests
{
    [Theory]
    [InlineData("1e5", "100000.0")]
    [InlineData("1.50", "1.5")]
    [InlineData("1E+2", "100.0")]
    [InlineData("1e16", "1e+16")]
    [InlineData("1e15", "1000000000000000.0")]
    [InlineData("0.00001", "1e-05")]
    [InlineData("0.0001", "0.0001")]
    [InlineData("2.5e-3", "0.0025")]
    [InlineData("-0.0", "-0.0")]
    [InlineData("123456789.123456789", "123456789.12345679")]
    [InlineData("2", "2")]
    [InlineData("1.0", "1.0")]
    [InlineData("1e2", "100.0")]
    [InlineData("1e-7", "1e-07")]
    [InlineData("3.14159", "3.14159")]
    [InlineData("12345678901234567890", "12345678901234567890")]
    [InlineData("-17", "-17")]
    [InlineData("-0", "0")]
    [InlineData("0", "0")]
    [InlineData("0.0", "0.0")]
    [InlineData("0.1", "0.1")]
    [InlineData("1e22", "1e+22")]
    [InlineData("1.5e300", "1.5e+300")]
    [InlineData("-2.5E-10", "-2.5e-10")]
    [InlineData("9999999999999998.0", "9999999999999998.0")]
    [InlineData("12345678901234567.0", "1.2345678901234568e+16")]
    [InlineData("5e-324", "5e-324")]
    [InlineData("1.7976931348623157e308", "1.7976931348623157e+308")]
    [InlineData("1e400", "Infinity")]
    [InlineData("-1e400", "-Infinity")]
    [InlineData("0.30000000000000004", "0.30000000000000004")]
    [InlineData("100", "100")]
    public void NumbersFollowPythonRepr(string json, string expected) => Assert.Equal(expected, PythonJson.Format(json));

    [Theory]
    [InlineData("{\"b\":1,\"a\":[true,false,null]}", "{\"b\": 1, \"a\": [true, false, null]}")]
    [InlineData("{ }", "{}")]
    [InlineData("[ ]", "[]")]
    [InlineData("[[],{}]", "[[], {}]")]
    [InlineData("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\": 3, \"b\": 2}")]
    [InlineData("\"\\u4f60\\u597d \\ud83d\\ude00\"", "\"你好 😀\"")]
    [InlineData("\"a/b\"", "\"a/b\"")]
    [InlineData("\"\\u007f\\u0080\"", "\"\u007f\u0080\"")]
    [InlineData("\"\\\"\\\\\\n\\r\\t\\b\\f\"", "\"\\\"\\\\\\n\\r\\t\\b\\f\"")]
    [InlineData("\"\\u0000\\u001b\\u001f\"", "\"\\u0000\\u001b\\u001f\"")]
    [InlineData("\"\\u2028\\u2029\\u0085\"", "\"\u2028\u2029\u0085\"")]
    [InlineData("\"é\"", "\"é\"")]
    public void StructuresAndStringsFollowPythonDumps(string json, string expected) => Assert.Equal(expected, PythonJson.Format(json));

    [Fact]
    public void QuoteStringEscapesLikePython()
    {
        Assert.Equal("\"x\\\"y\"", PythonJson.QuoteString("x\"y"));
        Assert.Equal("\"\\u000b\"", PythonJson.QuoteString("\v"));
        Assert.Equal("\"</script>\"", PythonJson.QuoteString("</script>"));
    }

    [Theory]
    [InlineData("null", false)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("-0.0", false)]
    [InlineData("0e5", false)]
    [InlineData("\"\"", false)]
    [InlineData("[]", false)]
    [InlineData("{}", false)]
    [InlineData("true", true)]
    [InlineData("0.001", true)]
    [InlineData("\" \"", true)]
    [InlineData("[0]", true)]
    [InlineData("{\"a\":null}", true)]
    public void TruthinessFollowsPython(string json, bool expected) =>
        Assert.Equal(expected, PythonJson.IsTruthy(DeepSeekV32EncoderGoldenTests.Json(json)));
}
