using System.Text;

namespace SeekSharp.IO.Chat.Parsing;

/// <summary>
/// Assembles a tool call's arguments the way the reference does: as text, <c>{"KEY": VALUE, ...}</c>, where a
/// string="true" value is JSON-quoted and a string="false" value is inserted unchanged (even if it is not JSON).
/// </summary>
internal static class DsmlArgumentsJson
{
    public static string Build(IReadOnlyList<(string Name, string Value, bool IsString)> parameters)
    {
        var json = new StringBuilder("{");
        for (var i = 0; i < parameters.Count; i++)
        {
            if (i > 0) json.Append(", ");
            var (name, value, isString) = parameters[i];
            PythonJson.WriteString(json, name);
            json.Append(": ");
            if (isString) PythonJson.WriteString(json, value);
            else json.Append(value);
        }
        return json.Append('}').ToString();
    }
}
