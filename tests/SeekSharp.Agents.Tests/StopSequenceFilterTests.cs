using SeekSharp.Agents.Chat;

namespace SeekSharp.Agents.Tests;

public sealed class StopSequenceFilterTests
{
    [Fact]
    public void StopSplitAcrossChunksIsFoundAndNothingAfterItPasses()
    {
        var filter = new StopSequenceFilter(["END", "xyz"]);
        var passed = filter.Push("abc E") + filter.Push("N") + filter.Push("D tail") + filter.Push("more") + filter.Flush();
        Assert.Equal("abc ", passed);
        Assert.True(filter.Stopped);
        Assert.Equal("END", filter.MatchedStop);
    }

    [Fact]
    public void HeldBackPrefixIsReleasedWhenItTurnsOutNotToBeAStop()
    {
        var filter = new StopSequenceFilter(["END"]);
        Assert.Equal("abc ", filter.Push("abc EN"));
        Assert.Equal("ENough", filter.Push("ough"));
        Assert.Equal("", filter.Push("E"));
        Assert.Equal("E", filter.Flush());
        Assert.False(filter.Stopped);
    }

    [Fact]
    public void EarliestStopWinsAndNoStopsPassEverything()
    {
        var filter = new StopSequenceFilter(["bb", "a"]);
        Assert.Equal("x", filter.Push("xabb"));
        Assert.Equal("a", filter.MatchedStop);
        Assert.Equal("hello", new StopSequenceFilter([]).Push("hello"));
    }
}
