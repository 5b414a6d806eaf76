using SeekSharp.Core.Numerics;

namespace SeekSharp.Core.Tests.Numerics;

/// <summary>Fp8LatentRow: FlashMLA's FP8 latent bytes (codes, then a scale per 128) holding the fake-quantised values exactly.</summary>
public sealed class Fp8LatentRowTests
{
    [Theory]
    [InlineData(512, 528)]      // the real model: 656 B a token with the 128 B of bf16 k_pe
    [InlineData(128, 132)]
    [InlineData(200, 208)]
    public void Rows_are_the_codes_then_one_fp32_scale_per_128(int values, int bytes)
    {
        Assert.Equal(bytes, Fp8LatentRow.Bytes(values));
        Assert.Equal(values, Fp8LatentRow.ValuesOf(bytes));
    }

    [Fact]
    public void Decoding_gives_the_fake_quantised_values_bit_for_bit()
    {
        var random = new Random(3);
        var latent = Enumerable.Range(0, 512).Select(i => (float)((random.NextDouble() - 0.5) * Math.Pow(2, i / 64 - 4))).ToArray();
        latent[7] = 0f;
        var row = new byte[Fp8LatentRow.Bytes(latent.Length)];
        Fp8LatentRow.Encode(latent, row);
        var decoded = new float[latent.Length];
        Fp8LatentRow.Decode(row, decoded);

        var expected = (float[])latent.Clone();
        ActQuant.FakeQuantizeRowToBf16(expected);
        Assert.Equal(expected, decoded);
        Assert.Equal(latent[..128].Select(v => Math.Abs(v)).Max() > 0, BitConverter.ToSingle(row, 512) > 0);
        // each scale is a power of two (ue8m0), as the reference's
        for (var b = 0; b < 4; b++)
        {
            var scale = BitConverter.ToSingle(row, 512 + 4 * b);
            Assert.Equal(0, BitConverter.SingleToInt32Bits(scale) & 0x7FFFFF);
        }
    }

    [Fact]
    public void A_row_too_short_is_refused() =>
        Assert.ThrowsAny<ArgumentException>(() => Fp8LatentRow.Encode(new float[128], new byte[131]));
}
