using SeekSharp.Cli.Commands.Gpu;

namespace SeekSharp.Cli.Tests;

public class ModelLayerPlanTests
{
    private const long GiB = 1L << 30;

    [Fact]
    public void MoeLayersFillWhatTheDenseModelCachesAndReserveLeave()
    {
        // 139 GiB free, a 6 GiB dense-only model, 11.5 GiB an MoE layer, 0.5 GiB of cache a layer, 12 GiB reserved:
        // (139 - 6 - 3 x 0.5 - 12) / (11.5 + 0.5) = 119.5 / 12 -> 9 layers
        Assert.Equal(9, ModelLayerPlan.MoeLayersThatFit(139 * GiB, 6 * GiB, 3, 23 * GiB / 2, GiB / 2, 12 * GiB, 58));
        // 14 GiB less free memory: 105.5 / 12 -> 8
        Assert.Equal(8, ModelLayerPlan.MoeLayersThatFit(125 * GiB, 6 * GiB, 3, 23 * GiB / 2, GiB / 2, 12 * GiB, 58));
    }

    [Fact]
    public void TheCountIsCappedAndNeverNegative()
    {
        Assert.Equal(4, ModelLayerPlan.MoeLayersThatFit(139 * GiB, 6 * GiB, 3, GiB, 0, 0, 4));
        // the dense layers' caches alone exceed the free memory
        Assert.Equal(0, ModelLayerPlan.MoeLayersThatFit(139 * GiB, 6 * GiB, 3, 12 * GiB, 50 * GiB, 12 * GiB, 58));
        // room for less than one MoE layer
        Assert.Equal(0, ModelLayerPlan.MoeLayersThatFit(30 * GiB, 6 * GiB, 3, 12 * GiB, GiB, 12 * GiB, 58));
    }

    [Fact]
    public void TheWholeModelIsTheDenseModelPlusTheMarginalMoeLayers()
    {
        // dense-only 10 ms; with 3 MoE layers 40 ms: 10 ms an MoE layer, so 58 of them add 580 ms
        Assert.Equal(590, ModelLayerPlan.Extrapolate(10, 40, 3, 58), 9);
        Assert.Equal(40, ModelLayerPlan.Extrapolate(10, 40, 3, 3), 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelLayerPlan.Extrapolate(10, 40, 0, 58));
    }
}
