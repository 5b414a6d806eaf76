using SeekSharp.Cuda.Launchers;

namespace SeekSharp.Cuda.Tests;

/// <summary>Fp8GemmLauncher.GemvBlocks: one warp per output while one wave holds them, else a resident grid with equal shares.</summary>
public sealed class GemvGridTests
{
    private const int H200Sms = 132, H200SharedPerSm = 233472;

    [Theory]
    // (outputs, activation bytes, registers per thread) → blocks of 8 warps
    [InlineData(2048, 7168 * 4, 64, 256)]        // shared expert gate: 256 blocks fit at once (4 per SM by registers)
    [InlineData(7168, 16384 * 4, 64, 299)]       // o_proj: 3 blocks of 64 KiB per SM, 396 resident; 3 outputs per warp
    [InlineData(24576, 1536 * 4, 64, 512)]       // q_b: 4 per SM by registers, 528 resident; 6 outputs per warp
    [InlineData(24576, 1536 * 4, 32, 1024)]      // the same at 32 registers: 8 per SM, 1056 resident; 3 per warp
    [InlineData(576, 7168 * 4, 96, 72)]
    public void Grids_stay_within_one_resident_wave(int outputs, int shared, int registers, int blocks)
    {
        var grid = Fp8GemmLauncher.GemvBlocks(outputs, shared, H200Sms, H200SharedPerSm, registers);
        Assert.Equal(blocks, grid);
        // no warp idles for a whole share: the last warp's outputs start below the output count
        var warps = grid * 8;
        var perWarp = (outputs + warps - 1) / warps;
        Assert.True((long)(warps - 8) * perWarp < outputs, $"{grid} blocks leave whole blocks without outputs");
    }
}
