using System.Text.Json.Nodes;
using SeekSharp.Testing;

namespace SeekSharp.IO.Tests.Config;

/// <summary>The golden tiny config.json files as text or mutable JSON, and edits addressed by dotted key.</summary>
internal static class GoldenConfigJson
{
    public static string Path(string model) => System.IO.Path.Combine(SharedData.GoldenModel(model), "config.json");

    public static string Text(string model = "tiny-fp8") => File.ReadAllText(Path(model));

    public static JsonObject Object(string model = "tiny-fp8") => JsonNode.Parse(Text(model))!.AsObject();

    /// <summary>
    /// The golden config with one key changed: <paramref name="dottedKey"/> such as "rope_scaling.factor";
    /// <paramref name="valueJson"/> is the new value as JSON text, or null to remove the key.
    /// </summary>
    public static string With(string dottedKey, string? valueJson, string model = "tiny-fp8")
    {
        var root = Object(model);
        var parts = dottedKey.Split('.');
        var parent = root;
        foreach (var part in parts[..^1]) parent = parent[part]!.AsObject();
        if (valueJson is null) Assert.True(parent.Remove(parts[^1]), $"{dottedKey} is not in the golden config");
        else parent[parts[^1]] = JsonNode.Parse(valueJson);
        return root.ToJsonString();
    }
}
