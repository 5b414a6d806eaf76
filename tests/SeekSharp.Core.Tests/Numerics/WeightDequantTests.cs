using System.Runtime.InteropServices;
using System.Text.Json;
using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

public class WeightDequantTests
{
    [Fact]
    public void PartialLastRowAndColumnBlocksUseTheirOwnScale()
    {
        const int rows = 320, cols = 200;                 // row blocks 128, 128, 64; column blocks 128, 72
        var random = new Random(13);
        var fp8 = new byte[rows * cols];
        for (var i = 0; i < fp8.Length; i++)
        {
            var code = (byte)random.Next(256);
            fp8[i] = (code & 0x7F) == 0x7F ? (byte)0x11 : code;
        }
        var scaleInv = new float[3 * 2];                   // [3, 2], every block different
        for (var i = 0; i < scaleInv.Length; i++) scaleInv[i] = (float)Math.Pow(2, random.NextDouble() * 2 - 1);

        var dst = new float[rows * cols];
        WeightDequant.Dequantize(fp8, scaleInv, rows, cols, dst);
        var bf16 = new float[rows * cols];
        WeightDequant.DequantizeToBf16(fp8, scaleInv, rows, cols, bf16);

        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                // Independent restatement: double product of the exact e4m3 value and the scale, one rounding.
                var exact = DefinitionValue(fp8[r * cols + c]) * scaleInv[(r / 128) * 2 + c / 128];
                Assert.Equal((float)exact, dst[r * cols + c]);
                Assert.Equal(BFloat16Math.Round((float)exact), bf16[r * cols + c]);
            }
        }
        // The partial block really reads row 2 of the scales (a classic bug reads row 1 or rows/scaleRows).
        Assert.Equal(Fp8E4M3.ToFloat(fp8[300 * cols + 150]) * scaleInv[2 * 2 + 1], dst[300 * cols + 150]);
    }

    [Fact]
    public void TinyFp8KvAProjectionMatchesTheBf16WeightsItWasQuantisedFrom()
    {
        // kv_a_proj_with_mqa is 192×256: its second row block holds only 64 rows and has its own scale.
        const string name = "model.layers.0.self_attn.kv_a_proj_with_mqa.weight";
        var (fp8, fp8Shape) = ReadTensor(SeekSharp.Testing.SharedData.GoldenModel("tiny-fp8"), name, "F8_E4M3");
        var (scaleBytes, scaleShape) = ReadTensor(SeekSharp.Testing.SharedData.GoldenModel("tiny-fp8"), name + "_scale_inv", "F32");
        var (bf16Bytes, _) = ReadTensor(SeekSharp.Testing.SharedData.GoldenModel("tiny-bf16"), name, "BF16");
        Assert.Equal([192, 256], fp8Shape);
        Assert.Equal([2, 2], scaleShape);
        var scales = MemoryMarshal.Cast<byte, float>(scaleBytes).ToArray();
        var original = new float[192 * 256];
        BFloat16Math.ToFloat(MemoryMarshal.Cast<byte, ushort>(bf16Bytes), original);

        var dst = new float[192 * 256];
        WeightDequant.DequantizeToBf16(fp8, scales, 192, 256, dst);

        for (var r = 0; r < 192; r++)
        {
            for (var c = 0; c < 256; c++)
            {
                var s = scales[(r / 128) * 2 + c / 128];
                var w = original[r * 256 + c];
                // Quantisation error ≤ half an e4m3 step (2^-4 relative; 2^-10·s in the subnormals), plus bf16 rounding.
                var bound = Math.Max(Math.Abs(w) / 16, s / 1024.0) + Math.Abs(w) / 256;
                Assert.True(Math.Abs(dst[r * 256 + c] - w) <= bound, $"[{r},{c}] {dst[r * 256 + c]} vs {w}");
            }
        }
    }

    private static double DefinitionValue(byte code)
    {
        var e = (code >> 3) & 0xF;
        var m = code & 7;
        var magnitude = e == 0 ? m * Math.Pow(2, -9) : (8 + m) * Math.Pow(2, e - 10);
        return (code & 0x80) != 0 ? -magnitude : magnitude;
    }

    /// <summary>Minimal safetensors read (8-byte LE header length, JSON header, raw data) for one tensor.</summary>
    private static (byte[] Data, int[] Shape) ReadTensor(string folder, string name, string dtype)
    {
        using var file = File.OpenRead(Path.Combine(folder, "model.safetensors"));
        var lengthBytes = new byte[8];
        file.ReadExactly(lengthBytes);
        var headerLength = BitConverter.ToInt64(lengthBytes);
        var header = new byte[headerLength];
        file.ReadExactly(header);
        using var json = JsonDocument.Parse(header);
        var entry = json.RootElement.GetProperty(name);
        Assert.Equal(dtype, entry.GetProperty("dtype").GetString());
        var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var data = new byte[offsets[1] - offsets[0]];
        file.Seek(8 + headerLength + offsets[0], SeekOrigin.Begin);
        file.ReadExactly(data);
        return (data, shape);
    }
}
