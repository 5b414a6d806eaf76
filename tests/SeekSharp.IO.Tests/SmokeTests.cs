namespace SeekSharp.IO.Tests;

public class SmokeTests
{
    [Fact]
    public void SharedDataIsFound() => Assert.True(Directory.Exists(SeekSharp.Testing.SharedData.Root));
}
