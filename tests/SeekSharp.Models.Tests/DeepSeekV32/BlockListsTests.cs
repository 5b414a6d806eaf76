using System.Collections.ObjectModel;
using SeekSharp.Models.DeepSeekV32;

namespace SeekSharp.Models.Tests.DeepSeekV32;

/// <summary>A sequence's block list copied into a step's table: the same prefix whatever list type holds it.</summary>
public sealed class BlockListsTests
{
    public static TheoryData<string> Kinds => new() { "array", "list", "other" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void CopiesThePrefixTheRowNeeds(string kind)
    {
        int[] blocks = [7, 3, 9, 1, 4];
        IReadOnlyList<int> list = kind switch
        {
            "array" => blocks,
            "list" => new List<int>(blocks),
            _ => new ReadOnlyCollection<int>(blocks),
        };
        var table = new int[] { -1, -1, -1, -1, -1, -1 };
        BlockLists.CopyTo(list, table.AsSpan(1, 3));
        Assert.Equal([-1, 7, 3, 9, -1, -1], table);
    }

    [Fact]
    public void ARowLongerThanTheListThrows() =>
        Assert.ThrowsAny<ArgumentException>(() => BlockLists.CopyTo(new[] { 1, 2 }, new int[3]));
}
