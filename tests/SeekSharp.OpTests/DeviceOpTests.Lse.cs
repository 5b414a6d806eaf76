using SeekSharp.Core;
using SeekSharp.Core.Compute;

namespace SeekSharp.OpTests;

// The log-sum-exp the MLA ops return, used as context parallelism will use it: attention over two halves of each row's
// keys, merged by the halves' lse, is attention over all of them.
public abstract partial class DeviceOpTests
{
    /// <summary>MLA shapes by name: real (128 heads, kv_lora 512), small, odd (kv_lora 96: no tensor-core kernel takes it).</summary>
    private static MlaShape NamedMlaShape(string name) => name switch
    {
        "real" => new MlaShape(128, 128, 64, 128, 512, 0.0723f),
        "odd" => new MlaShape(4, 64, 32, 64, 96, 0.1f),
        "small" => new MlaShape(4, 64, 32, 64, 128, 0.1f),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<int, int, string> LseMergeCases => new()
    {
        // tokens, startPos, shape
        { 3, 40, "small" },
        { 5, 0, "odd" },     // row 0 sees one key: its first half is empty (lse -inf, zeros)
        { 2, 300, "real" },
    };

    [Theory]
    [MemberData(nameof(LseMergeCases))]
    public void MlaAbsorbedHalvesMergeByLse(int tokens, int startPos, string shapeName)
    {
        var data = new OpData(35);
        var shape = NamedMlaShape(shapeName);
        var end = startPos + tokens;
        var q = OnDevice(data.Activations((long)tokens * shape.Heads * shape.QkDim));
        var wkvb = OnDevice(data.Activations((long)shape.Heads * shape.KvBDim * shape.KvLora, 0.05f));
        var latent = OnDevice(data.Activations((long)end * shape.KvLora));
        var ropeKeys = OnDevice(data.Activations((long)end * shape.Rope));
        var rows = (long)tokens * shape.Heads;

        // all keys (dense), then each half as a -1 padded selection
        var whole = (Output: NewOnDevice(rows * shape.V), Lse: NewOnDevice(rows));
        Device.MlaAbsorbed(q, wkvb, latent, ropeKeys, null, 0, tokens, startPos, shape, whole.Output, whole.Lse);
        var parts = Halves(tokens, startPos).Select(half =>
        {
            var part = (Output: NewOnDevice(rows * shape.V), Lse: NewOnDevice(rows));
            Device.MlaAbsorbed(q, wkvb, latent, ropeKeys, OnDevice(half), end, tokens, startPos, shape, part.Output, part.Lse);
            return part;
        }).ToArray();
        if (startPos == 0) Assert.Equal(float.NegativeInfinity, ReadDev(parts[0].Lse)[0]);   // row 0's empty half
        CheckMerge(whole, parts[0], parts[1], shape.V, $"mla absorbed {shapeName}");
    }

    [Theory]
    [InlineData(7, "small")]
    [InlineData(24, "real")]
    public void MlaPrefillHalvesMergeByLse(int tokens, string shapeName)
    {
        var data = new OpData(36);
        var shape = NamedMlaShape(shapeName);
        var rows = (long)tokens * shape.Heads;
        var q = OnDevice(data.Activations(rows * shape.QkDim));
        var kvb = OnDevice(data.Activations(rows * shape.KvBDim));
        var ropeKeys = OnDevice(data.Activations((long)tokens * shape.Rope));

        var whole = (Output: NewOnDevice(rows * shape.V), Lse: NewOnDevice(rows));
        Device.MlaPrefill(q, kvb, ropeKeys, null, 0, tokens, shape, whole.Output, whole.Lse);
        var parts = Halves(tokens, 0).Select(half =>
        {
            var part = (Output: NewOnDevice(rows * shape.V), Lse: NewOnDevice(rows));
            Device.MlaPrefill(q, kvb, ropeKeys, OnDevice(half), tokens, tokens, shape, part.Output, part.Lse);
            return part;
        }).ToArray();
        Assert.Equal(float.NegativeInfinity, ReadDev(parts[0].Lse)[0]);   // row 0's empty half
        CheckMerge(whole, parts[0], parts[1], shape.V, $"mla prefill {shapeName}");
    }

    /// <summary>
    /// Two selections I32 [tokens, end] (end = startPos + tokens) that split row i's keys 0..p (p = startPos + i) into
    /// [0, (p+1)/2) and [(p+1)/2, p], each -1 padded.
    /// </summary>
    private static int[][] Halves(int tokens, int startPos)
    {
        var end = startPos + tokens;
        int[] first = new int[tokens * end], second = new int[tokens * end];
        first.AsSpan().Fill(-1);
        second.AsSpan().Fill(-1);
        for (var i = 0; i < tokens; i++)
        {
            int count = startPos + i + 1, split = count / 2;
            for (var s = 0; s < split; s++) first[i * end + s] = s;
            for (var s = split; s < count; s++) second[i * end + (s - split)] = s;
        }
        return [first, second];
    }

    /// <summary>
    /// lse = ln(exp(lse_a) + exp(lse_b)) and output = Σ exp(lse_part − lse)·output_part (in double) against the op over
    /// all keys: the output to the MLA tests' bf16 tolerance (each part's p and output are rounded to bf16 on their own),
    /// the lse to the fp32 one (the same scores, summed in another order).
    /// </summary>
    private void CheckMerge((DeviceBuffer Output, DeviceBuffer Lse) whole, (DeviceBuffer Output, DeviceBuffer Lse) a,
        (DeviceBuffer Output, DeviceBuffer Lse) b, int v, string what)
    {
        float[] outA = ReadDev(a.Output), outB = ReadDev(b.Output), lseA = ReadDev(a.Lse), lseB = ReadDev(b.Lse);
        var output = new float[outA.Length];
        var lse = new float[lseA.Length];
        for (var r = 0; r < lse.Length; r++)
        {
            double la = lseA[r], lb = lseB[r], max = Math.Max(la, lb);
            if (double.IsNegativeInfinity(max))
            {
                lse[r] = float.NegativeInfinity;   // no key in either half: the row stays zeros
                continue;
            }
            var total = max + Math.Log(Math.Exp(la - max) + Math.Exp(lb - max));
            double wa = Math.Exp(la - total), wb = Math.Exp(lb - total);
            for (var d = 0; d < v; d++)
                output[r * v + d] = (float)(wa * outA[r * v + d] + wb * outB[r * v + d]);
            lse[r] = (float)total;
        }
        AssertClose(ReadDev(whole.Output), output, Bf16Tolerance, $"{what}: halves merged by lse");
        AssertClose(ReadDev(whole.Lse), lse, Fp32Tolerance, $"{what}: merged lse");
    }

    /// <summary>Bit-equal float arrays (NaN patterns included).</summary>
    protected static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    private DeviceBuffer OnDevice(float[] values)
    {
        var buffer = Own(Device.Allocate(DType.F32, values.Length));
        Device.Upload<float>(values, buffer);
        return buffer;
    }

    private DeviceBuffer OnDevice(int[] values)
    {
        var buffer = Own(Device.Allocate(DType.I32, values.Length));
        Device.Upload<int>(values, buffer);
        return buffer;
    }

    private DeviceBuffer NewOnDevice(long floats) => Own(Device.Allocate(DType.F32, floats));
}
