namespace SeekSharp.Models.Tests;

public class SmokeTests
{
    [Fact]
    public void SharedDataIsFound() => Assert.True(Directory.Exists(SeekSharp.Testing.SharedData.Root));
}
