using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SeekSharp.Server.Errors;

namespace SeekSharp.Server.Hosting;

/// <summary>
/// Checks <c>Authorization: Bearer KEY</c> in constant time: both sides are hashed to 32 bytes first, so neither the
/// position of the first differing byte nor the key's length shows in the timing.
/// </summary>
public sealed class ApiKeyCheck(string key)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public void Require(HttpRequest request)
    {
        if (!IsValid(request.Headers.Authorization.ToString())) throw ApiException.InvalidApiKey();
    }

    public bool IsValid(string? authorization)
    {
        const string scheme = "Bearer ";
        var presented = authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? authorization[scheme.Length..].Trim()
            : "";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(hash, _expected) && presented.Length > 0;
    }
}
