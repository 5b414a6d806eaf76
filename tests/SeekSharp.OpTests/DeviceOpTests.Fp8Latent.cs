using SeekSharp.Core;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;

namespace SeekSharp.OpTests;

// The FP8 latent cache (ModelOptions.Fp8LatentCache): fake quantisation, the 528-byte rows a pool stores, and absorbed
// MLA reading those rows. Rows hold exactly the fake-quantised values, so attention over them is attention over a bf16
// cache of those values.
public abstract partial class DeviceOpTests
{
    [Theory]
    [InlineData(true, 512)]
    [InlineData(false, 512)]
    [InlineData(true, 200)]      // a partial last block
    public void FakeQuantizeMatchesReferenceBitForBit(bool powerOfTwo, int cols)
    {
        var data = new OpData(41);
        const int rows = 6, stride = 530;
        var original = data.Uniform((long)rows * stride, -6, 6);
        var x = Floats(original);
        var view = new MatrixView(default!, 1, rows, cols, stride);
        Device.FakeQuantize(view with { Buffer = x.Dev }, powerOfTwo);
        Reference.FakeQuantize(view with { Buffer = x.Ref }, powerOfTwo);
        AssertEqual<float>(x, $"fake_quantize (power of two {powerOfTwo})");

        // the reference itself: each row's blocks as ActQuant.FakeQuantizeRowToBf16, columns outside the view untouched
        var expected = (float[])original.Clone();
        for (var r = 0; r < rows; r++)
            ActQuant.FakeQuantizeRowToBf16(expected.AsSpan(r * stride + 1, cols), ActQuant.DefaultBlockSize, powerOfTwo);
        Assert.Equal(expected, ReadRef(x.Ref));
    }

    [Theory]
    [InlineData(512)]
    [InlineData(128)]
    public void WriteLatentFp8PagedEncodesEachRowInItsSlot(int kvLora)
    {
        var data = new OpData(42);
        var layout = PagedLayout.Make(data, 16, Sequences("mixed"));
        var bytes = Fp8LatentRow.Bytes(kvLora);
        var values = data.Activations((long)layout.Rows * kvLora, 3f);
        var source = Floats(values);
        var pool = Zeros(DType.U8, (long)layout.PoolRows * bytes);
        using var dev = layout.On(Device);
        using var rf = layout.On(Reference);
        Device.WriteLatentFp8Paged(MatrixView.Dense(source.Dev, layout.Rows, kvLora), pool.Dev, dev);
        Reference.WriteLatentFp8Paged(MatrixView.Dense(source.Ref, layout.Rows, kvLora), pool.Ref, rf);
        AssertEqual<byte>(pool, "fp8 latent rows");

        // each slot decodes to the row's fake-quantised values
        var written = Read<byte>(Reference, pool.Ref);
        var decoded = new float[kvLora];
        for (var i = 0; i < layout.Rows; i++)
        {
            var expected = values.AsSpan(i * kvLora, kvLora).ToArray();
            ActQuant.FakeQuantizeRowToBf16(expected);
            Fp8LatentRow.Decode(written.AsSpan((int)(rf.PoolRow(rf.HostRowSequences[i], rf.HostRowPositions[i]) * bytes), bytes), decoded);
            Assert.Equal(expected, decoded);
        }
    }

    public static TheoryData<string, int, bool, string> Fp8MlaCases => new()
    {
        // layout, block size, sparse, shape
        { "mixed", 16, true, "small" },
        { "mixed", 16, false, "small" },
        { "decode-real", 64, true, "real" },
    };

    /// <summary>Absorbed MLA over a pool of FP8 rows equals the reference over a cache of their decoded values.</summary>
    [Theory]
    [MemberData(nameof(Fp8MlaCases))]
    public void MlaAbsorbedPagedReadsFp8LatentRows(string layoutName, int blockSize, bool sparse, string shapeName)
    {
        var data = new OpData(43);
        var layout = PagedLayout.Make(data, blockSize, Sequences(layoutName));
        var shape = NamedMlaShape(shapeName);
        var topk = shapeName == "real" ? 2048 : 16;
        var bytes = Fp8LatentRow.Bytes(shape.KvLora);
        var q = Floats(data.Activations((long)layout.Rows * shape.Heads * shape.QkDim));
        var wkvb = Bf16Values(data.Activations((long)shape.Heads * shape.KvBDim * shape.KvLora, 0.05f));
        var ropeKeys = Bf16Values(data.Activations((long)layout.PoolRows * shape.Rope));
        // pool rows: FP8 on the device under test, their exact decoded values (F32) on the reference
        var latentValues = data.Activations((long)layout.PoolRows * shape.KvLora);
        var rows = new byte[(long)layout.PoolRows * bytes];
        var decoded = new float[latentValues.Length];
        for (var r = 0; r < layout.PoolRows; r++)
        {
            Fp8LatentRow.Encode(latentValues.AsSpan(r * shape.KvLora, shape.KvLora), rows.AsSpan(r * bytes, bytes));
            Fp8LatentRow.Decode(rows.AsSpan(r * bytes, bytes), decoded.AsSpan(r * shape.KvLora, shape.KvLora));
        }
        var latentDev = Own(Device.Allocate(DType.U8, rows.Length));
        Device.Upload<byte>(rows, latentDev);
        var latentRef = Own(Reference.Allocate(DType.F32, decoded.Length));
        Reference.Upload<float>(decoded, latentRef);

        var width = Math.Min(topk, layout.RowPositions.Max() + 1);
        var indices = sparse ? Ints(RandomSelections(data, layout, width)) : default;
        using var dev = layout.On(Device);
        using var rf = layout.On(Reference);
        var output = Zeros(DType.F32, (long)layout.Rows * shape.Heads * shape.V);
        Device.MlaAbsorbedPaged(q.Dev, wkvb.Dev, latentDev, ropeKeys.Dev, sparse ? indices.Dev : null, sparse ? width : 0, dev, shape, output.Dev);
        Reference.MlaAbsorbedPaged(q.Ref, wkvb.Ref, latentRef, ropeKeys.Ref, sparse ? indices.Ref : null, sparse ? width : 0, rf, shape, output.Ref);
        AssertClose(output, Bf16Tolerance, "paged mla absorbed over fp8 latent rows");
    }
}
