using SeekSharp.IO.Chat;

namespace SeekSharp.Agents.Tests;

/// <summary>Completions in DeepSeek-V3.2's output format, as a trained model writes them (recorded as text).</summary>
internal static class RecordedCompletions
{
    public const string WeatherArguments = """{"location": "Paris", "days": 2}""";

    public static string CallWeather(string reasoning = "I need the forecast.") =>
        reasoning + "</think>Let me check.\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"get_weather\">\n"
        + "<｜DSML｜parameter name=\"location\" string=\"true\">Paris</｜DSML｜parameter>\n"
        + "<｜DSML｜parameter name=\"days\" string=\"false\">2</｜DSML｜parameter>\n"
        + "</｜DSML｜invoke>\n</｜DSML｜function_calls>" + DsmlTokens.Eos;

    public static string CallAdd(int a, int b) =>
        "Adding with the tool.</think>\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"add\">\n"
        + $"<｜DSML｜parameter name=\"a\" string=\"false\">{a}</｜DSML｜parameter>\n"
        + $"<｜DSML｜parameter name=\"b\" string=\"false\">{b}</｜DSML｜parameter>\n"
        + "</｜DSML｜invoke>\n</｜DSML｜function_calls>" + DsmlTokens.Eos;

    public static string Answer(string reasoning, string answer) => reasoning + "</think>" + answer + DsmlTokens.Eos;

    /// <summary>What the prompt gains after a tool-call turn: the turn itself, the results block, and a new think tag.</summary>
    public static string ResultsBlock(params string[] results) =>
        "\n\n<function_results>" + string.Concat(results.Select(r => "\n<result>" + r + "</result>")) + "\n</function_results>\n\n<think>";
}
