using SeekSharp.Server.Hosting;

namespace SeekSharp.Server.Tests.Hosting;

public sealed class ApiKeyCheckTests
{
    [Theory]
    [InlineData("Bearer sk-secret", true)]
    [InlineData("bearer sk-secret", true)]
    [InlineData("Bearer sk-secreT", false)]
    [InlineData("Bearer sk-secret2", false)]
    [InlineData("Bearer ", false)]
    [InlineData("sk-secret", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_the_exact_bearer_key_passes(string? header, bool valid)
    {
        Assert.Equal(valid, new ApiKeyCheck("sk-secret").IsValid(header));
    }
}
