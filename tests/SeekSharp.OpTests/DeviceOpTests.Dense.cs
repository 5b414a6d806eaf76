using SeekSharp.Core;
using SeekSharp.Core.Backend;
using SeekSharp.Core.Compute;
using SeekSharp.Core.Numerics;

namespace SeekSharp.OpTests;

// Memory movement, linears, norms, RoPE, Hadamard, act-quant and the small elementwise ops.
public abstract partial class DeviceOpTests
{
    [Fact]
    public void UploadDownloadCopyAndCopyRowsMoveValuesExactly()
    {
        var data = new OpData(1);
        var values = data.Activations(1000);
        var src = Floats(values);
        var dst = Zeros(DType.F32, 1000);
        Device.Copy(src.Dev, 100, dst.Dev, 7, 500);
        Reference.Copy(src.Ref, 100, dst.Ref, 7, 500);
        AssertEqual<float>(dst, "copy");

        // [10, 30] window of a [10, 50] matrix into rows of stride 40 at offset 3
        var rows = Zeros(DType.F32, 3 + 10 * 40);
        Device.CopyRows(new MatrixView(src.Dev, 5, 10, 30, 50), new MatrixView(rows.Dev, 3, 10, 30, 40));
        Reference.CopyRows(new MatrixView(src.Ref, 5, 10, 30, 50), new MatrixView(rows.Ref, 3, 10, 30, 40));
        AssertEqual<float>(rows, "copy_rows");

        var part = new float[20];
        Device.Download<float>(src.Dev, 980, part);
        Assert.Equal(values[980..], part);
    }

    public static TheoryData<DType, int, int, int> LinearCases => new()
    {
        { DType.BF16, 1, 256, 192 },
        { DType.BF16, 9, 576, 320 },
        { DType.F32, 3, 200, 130 },
        { DType.F8E4M3, 1, 576, 384 },      // kv_a_proj-like: a partial last row block (576 = 4·128 + 64)
        { DType.F8E4M3, 13, 320, 448 },     // partial K block (448 = 3·128 + 64)
        { DType.F8E4M3, 64, 256, 512 },
        // real DeepSeek-V3.2 widths: q_a (7168 → 1536), q_b (1536 → 128·192), an expert's down (2048 → 7168)
        { DType.F8E4M3, 5, 1536, 7168 },
        { DType.F8E4M3, 3, 24576, 1536 },
        { DType.F8E4M3, 4, 7168, 2048 },
        // decode sizes on the tensor-core GEMV (fp8_gemv_tc, sm_89+): each row-count kernel, a K-block count that leaves
        // the last round part-filled (25), a last K block of one 16-code chunk (2064), o_proj's width, the dense
        // layers' down projection (18432, the longest In the kernels take), one chunk past it (the fallback), 32 rows
        // walking several tiles a block with one round a tile, and 33 / 40 / 63 rows (two launches of up to 32)
        { DType.F8E4M3, 2, 1000, 3200 },
        { DType.F8E4M3, 8, 2048, 7168 },
        { DType.F8E4M3, 12, 1000, 3200 },
        { DType.F8E4M3, 17, 576, 7168 },
        { DType.F8E4M3, 32, 130, 2064 },
        { DType.F8E4M3, 32, 4096, 512 },
        { DType.F8E4M3, 33, 2048, 1536 },
        { DType.F8E4M3, 40, 256, 512 },
        { DType.F8E4M3, 63, 576, 2048 },
        { DType.F8E4M3, 1, 7168, 16384 },
        { DType.F8E4M3, 5, 256, 18432 },
        { DType.F8E4M3, 1, 64, 18448 },
        // prefill-sized, 64+ rows (Hopper's warpgroup kernel; the opt-in cuBLASLt path takes rows a multiple of 4 from 64):
        // a partial last Out block, partial last 128-row tiles, a partial last K block (2112 = 16.5 · 128)
        { DType.F8E4M3, 64, 640, 7168 },
        { DType.F8E4M3, 68, 576, 2048 },
        { DType.F8E4M3, 520, 320, 2048 },
        { DType.F8E4M3, 130, 320, 2112 },
        { DType.BF16, 3, 1024, 7168 },
    };

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void LinearMatchesReference(DType dtype, int rows, int outFeatures, int inFeatures)
    {
        var data = new OpData(2);
        var w = Weights(data.Weight(dtype, outFeatures, inFeatures));
        var x = Floats(data.Activations((long)rows * inFeatures));
        foreach (var (round, pow2) in new[] { (true, true), (false, true), (true, false) })
        {
            var y = Zeros(DType.F32, (long)rows * outFeatures);
            Device.Linear(w.Dev, MatrixView.Dense(x.Dev, rows, inFeatures), MatrixView.Dense(y.Dev, rows, outFeatures), round, pow2);
            Reference.Linear(w.Ref, MatrixView.Dense(x.Ref, rows, inFeatures), MatrixView.Dense(y.Ref, rows, outFeatures), round, pow2);
            AssertClose(y, round ? Bf16Tolerance : Fp32Tolerance, $"linear {dtype} round={round} pow2={pow2}");
        }
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(40, false)]    // two launches of the tensor-core GEMV on the GPU, the second 32 strided rows in
    public void LinearReadsAndWritesStridedViews(int rows, bool powerOfTwoScales)
    {
        var data = new OpData(3);
        var w = Weights(data.Weight(DType.F8E4M3, 128, 256));
        var x = Floats(data.Activations(rows * 300 + 10));
        var y = Zeros(DType.F32, 7 + rows * 200);
        Device.Linear(w.Dev, new MatrixView(x.Dev, 10, rows, 256, 300), new MatrixView(y.Dev, 7, rows, 128, 200), true, powerOfTwoScales);
        Reference.Linear(w.Ref, new MatrixView(x.Ref, 10, rows, 256, 300), new MatrixView(y.Ref, 7, rows, 128, 200), true, powerOfTwoScales);
        AssertClose(y, Bf16Tolerance, $"strided linear, {rows} rows");
        var written = ReadDev(y.Dev);
        Assert.All(written[..7], v => Assert.Equal(0f, v));
        for (var r = 0; r < rows; r++)
            Assert.All(written[(7 + r * 200 + 128)..(7 + (r + 1) * 200)], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void EmbedGathersBf16Rows()
    {
        var data = new OpData(4);
        var table = Weights(data.Weight(DType.BF16, 50, 96));
        var ids = Ints([3, 0, 49, 3, 17]);
        var y = Zeros(DType.F32, 5 * 96);
        Device.Embed(table.Dev, ids.Dev, 5, y.Dev);
        Reference.Embed(table.Ref, ids.Ref, 5, y.Ref);
        AssertEqual<float>(y, "embed");
    }

    [Theory]
    [InlineData(false, 1024)]
    [InlineData(true, 1024)]
    [InlineData(true, 7168)]       // real hidden size
    public void AddRmsNormMatchesReference(bool hasResidual, int width)
    {
        var data = new OpData(5);
        const int rows = 6;
        var h = Floats(data.Activations(rows * width, 3));
        var residual = Floats(data.Activations(rows * width, 10));
        var weight = Floats(data.Uniform(width, 0.5f, 1.5f));
        var y = Zeros(DType.F32, rows * width);
        Device.AddRmsNorm(h.Dev, residual.Dev, hasResidual, weight.Dev, 1e-6f, y.Dev, rows, width);
        Reference.AddRmsNorm(h.Ref, residual.Ref, hasResidual, weight.Ref, 1e-6f, y.Ref, rows, width);
        AssertClose(y, Bf16Tolerance, "normed");
        AssertEqual<float>(residual, "residual");
    }

    [Fact]
    public void RmsNormAndLayerNormOnViews()
    {
        var data = new OpData(6);
        var x = Floats(data.Activations(4 * 600, 2));
        var w = Floats(data.Uniform(512, 0.5f, 1.5f));
        var b = Floats(data.Uniform(128, -0.5f, 0.5f));
        var y = Zeros(DType.F32, 4 * 512);
        // latent part of a [4, 576]-strided kv row into a dense cache (the MLA kv_norm)
        Device.RmsNorm(new MatrixView(x.Dev, 0, 4, 512, 576), w.Dev, 1e-6f, MatrixView.Dense(y.Dev, 4, 512));
        Reference.RmsNorm(new MatrixView(x.Ref, 0, 4, 512, 576), w.Ref, 1e-6f, MatrixView.Dense(y.Ref, 4, 512));
        AssertClose(y, Bf16Tolerance, "rms_norm");

        Device.LayerNorm(new MatrixView(x.Dev, 1000, 3, 128, 300), w.Dev, b.Dev, 1e-6f);
        Reference.LayerNorm(new MatrixView(x.Ref, 1000, 3, 128, 300), w.Ref, b.Ref, 1e-6f);
        AssertClose(x, Bf16Tolerance, "layer_norm");
    }

    [Theory]
    [InlineData(RopeLayout.Interleaved)]
    [InlineData(RopeLayout.HalfSplit)]
    public void RopeRotatesEachRowAtItsPosition(RopeLayout layout)
    {
        var data = new OpData(7);
        const int positions = 40, half = 32, heads = 3, tokens = 5, stride = 192;
        var cos = Floats(data.Uniform(positions * half, -1, 1));
        var sin = Floats(data.Uniform(positions * half, -1, 1));
        var q = Floats(data.Activations(tokens * heads * stride));
        var view = new MatrixView(q.Dev, 128, tokens * heads, 2 * half, stride);   // the rope part after 128 nope dims
        Device.Rope(view, heads, 31, cos.Dev, sin.Dev, layout);
        Reference.Rope(view with { Buffer = q.Ref }, heads, 31, cos.Ref, sin.Ref, layout);
        AssertClose(q, Bf16Tolerance, $"rope {layout}");
    }

    [Fact]
    public void HadamardRoundMatchesReference()
    {
        var data = new OpData(8);
        var x = Floats(data.Activations(9 * 128));
        Device.HadamardRound(MatrixView.Dense(x.Dev, 9, 128));
        Reference.HadamardRound(MatrixView.Dense(x.Ref, 9, 128));
        AssertClose(x, Bf16Tolerance, "hadamard");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ActQuantCodesAndScalesAreExact(bool powerOfTwo)
    {
        var data = new OpData(9);
        const int rows = 7, cols = 320;                     // two full blocks and a partial one per row
        var values = data.Activations(rows * cols, 5);
        values.AsSpan(cols, 128).Clear();                   // an all-zero block: amax floor
        values[5] = 4000;                                   // a block dominated by one outlier
        var x = Floats(values);
        var codes = Zeros(DType.U8, 3 + rows * cols);
        var scales = Zeros(DType.F32, 1 + rows * 3);
        Device.ActQuant(MatrixView.Dense(x.Dev, rows, cols), codes.Dev, 3, scales.Dev, 1, powerOfTwo);
        Reference.ActQuant(MatrixView.Dense(x.Ref, rows, cols), codes.Ref, 3, scales.Ref, 1, powerOfTwo);
        AssertEqual<byte>(codes, "codes");
        AssertEqual<float>(scales, "scales");
    }

    [Fact]
    public void SmallElementwiseOpsMatchReference()
    {
        var data = new OpData(10);
        const int n = 3000;
        var gate = Floats(data.Activations(n, 4));
        var up = Floats(data.Activations(n, 2));
        Device.SiluMul(gate.Dev, up.Dev, n);
        Reference.SiluMul(gate.Ref, up.Ref, n);
        AssertClose(gate, Bf16Tolerance, "silu_mul");

        var a = Floats(data.Activations(n));
        var b = Floats(data.Activations(n));
        var sum = Zeros(DType.F32, n);
        Device.AddRound(a.Dev, b.Dev, sum.Dev, n);
        Reference.AddRound(a.Ref, b.Ref, sum.Ref, n);
        AssertEqual<float>(sum, "add_round");

        var w = Floats(data.Uniform(n, -2, 2));
        var qs = Floats(data.Uniform(n, 0.001f, 0.1f));
        Device.ScaleIndexerWeights(w.Dev, qs.Dev, n, 0.125f, 0.08838835f);
        Reference.ScaleIndexerWeights(w.Ref, qs.Ref, n, 0.125f, 0.08838835f);
        AssertEqual<float>(w, "indexer weights");
    }

    [Fact]
    public void ArgMaxPicksTheLowestIndexOfTheMaximum()
    {
        var data = new OpData(11);
        const int rows = 4, vocab = 5000;
        var values = data.Activations(rows * vocab);
        values[1 * vocab + 10] = 100;
        values[1 * vocab + 4000] = 100;                     // tie: index 10 wins
        var logits = Floats(values);
        var ids = Zeros(DType.I32, rows);
        Device.ArgMax(logits.Dev, rows, vocab, ids.Dev);
        Reference.ArgMax(logits.Ref, rows, vocab, ids.Ref);
        AssertEqual<int>(ids, "argmax");
        Assert.Equal(10, Read<int>(Device, ids.Dev)[1]);
    }
}
