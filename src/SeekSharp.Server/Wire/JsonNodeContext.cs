using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SeekSharp.Server.Wire;

/// <summary>Source-generated serialization of the few JSON node types the server rewrites.</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class JsonNodeContext : JsonSerializerContext;
