using System.Text;

namespace SeekSharp.IO.Chat;

/// <summary>
/// The "## Tools" block appended to a system (or put into a developer) message. The wording, including its
/// blank lines, is the model's prompt format as DeepSeek's own encoder and fixtures have it.
/// </summary>
public static class ToolsPromptTemplate
{
    private const string Header =
        "## Tools\n" +
        "\n" +
        "You have access to a set of tools you can use to answer the user's question.\n" +
        "You can invoke functions by writing a \"" + DsmlTokens.FunctionCallsOpen + "\" block like the following as part of your reply to the user:\n" +
        DsmlTokens.FunctionCallsOpen + "\n" +
        "<" + DsmlTokens.Dsml + "invoke name=\"$FUNCTION_NAME\">\n" +
        "<" + DsmlTokens.Dsml + "parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE</" + DsmlTokens.Dsml + "parameter>\n" +
        "...\n" +
        "</" + DsmlTokens.Dsml + "invoke>\n" +
        "<" + DsmlTokens.Dsml + "invoke name=\"$FUNCTION_NAME2\">\n" +
        "...\n" +
        "</" + DsmlTokens.Dsml + "invoke>\n" +
        DsmlTokens.FunctionCallsClose + "\n" +
        "\n" +
        "String and scalar parameters should be specified as is without any escaping or quotes, while lists and objects should use JSON format. " +
        "The \"string\" attribute should be set to \"true\" for string type parameters and \"false\" for other types (numbers, booleans, arrays, objects).\n" +
        "\n" +
        "If the thinking_mode is enabled, then after function results you should strongly consider outputting a thinking block. Here is an example:\n" +
        "\n" +
        DsmlTokens.FunctionCallsOpen + "\n" +
        "...\n" +
        DsmlTokens.FunctionCallsClose + "\n" +
        "\n" +
        DsmlTokens.FunctionResultsOpen + "\n" +
        "...\n" +
        DsmlTokens.FunctionResultsClose + "\n" +
        "\n" +
        DsmlTokens.ThinkStart + "...thinking about results" + DsmlTokens.ThinkEnd + "\n" +
        "\n" +
        "Here are the functions available in JSONSchema format:\n" +
        "<functions>\n";

    private const string Footer = "\n</functions>\n";

    private const string ResponseFormatHeader =
        "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n";

    /// <summary>The block for these tools: one JSON line per <c>function</c> object.</summary>
    public static string Render(IReadOnlyList<ToolDefinition> tools)
    {
        var builder = new StringBuilder(Header);
        for (var i = 0; i < tools.Count; i++)
        {
            if (i > 0) builder.Append('\n');
            PythonJson.Write(builder, tools[i].Function);
        }
        return builder.Append(Footer).ToString();
    }

    /// <summary>The structured-output instruction followed by the JSON of the whole response_format value.</summary>
    public static string RenderResponseFormat(System.Text.Json.JsonElement responseFormat) =>
        ResponseFormatHeader + PythonJson.Format(responseFormat);
}
