using SeekSharp.IO.Chat;

namespace SeekSharp.IO.Tokenization.Synthetic;

/// <summary>
/// The text the demo tokenizer's merges are learned from: a few paragraphs of plain English about chatting with
/// an assistant and calling tools, JSON of the kind tool schemas and arguments use, and V3.2 prompts rendered by
/// our own encoder (tools header, a tool-call round trip), so that the words and markup a chat prompt is made of
/// become few tokens. Written for this purpose; fixed, so the tokenizer is the same on every machine.
/// </summary>
internal static class DemoTokenizerCorpus
{
    private const string Prose = """
        Hello! How are you today? I am a helpful assistant. I can answer questions, write and explain code,
        and use tools when they help. Ask me anything, and I will do my best to give you a clear answer.

        The user asked about the weather tomorrow in Paris, London, Berlin, Tokyo and New York. To answer, the
        assistant first calls a tool that returns the current date and time, then a tool that returns the
        forecast for each city. When the results come back, it reads them, thinks about what they mean, and
        writes a short reply: the temperature, the chance of rain, and whether the user should take an umbrella.

        A tool is a function the model can call. Each tool has a name, a description, and parameters described
        by a JSON schema. The schema says which parameters are required, what type each one has (a string, a
        number, an integer, a boolean, an array or an object), and what each one means. The model writes a call
        with its arguments; the program runs the function and sends the result back to the model as a message.

        Thinking mode lets the model reason before it answers. The reasoning is shown in a dimmed color, then the
        answer follows. Inside one turn, while the model is still calling tools, its reasoning is kept, so it can
        continue the same line of thought. When the user sends a new message, the reasoning of earlier turns is
        dropped and only their answers and tool results stay in the conversation.

        This model is small and untrained: its weights are random numbers, so the text it writes is gibberish.
        It is here to show that every part of the system works: the tokenizer, the chat template, the engine,
        the sampler, the streaming server and the agent loop. Load a real checkpoint to get real answers.

        Please summarize the following text in one sentence. What is the capital of France? The capital of
        France is Paris. What is two plus two? Two plus two is four. Write a function that adds two numbers and
        returns the sum. Here is the code you asked for, with a short explanation of how it works.

        Thank you for your help! You are welcome. Is there anything else I can do for you? Yes, please search
        the web for the latest news about the project, read the file called notes.txt, and list the files in the
        current directory. I could not find that file; please check the path and try again.

        The time is 10:30 in the morning, the date is Monday, the first of December. The temperature is 12
        degrees with light rain in the afternoon and a strong wind from the west. Tomorrow will be sunny and
        warm, with a high of 18 degrees and a low of 9. The weather for the day after tomorrow looks cloudy.

        def add(a, b):
            return a + b

        public static int Add(int a, int b) => a + b;

        for (var i = 0; i < count; i++) { total += values[i]; }
        if (result == null) { throw new ArgumentException("value must not be null"); }
        var response = await client.GetResponseAsync(messages, options, cancellationToken);
        Console.WriteLine($"the answer is {answer}");
        """;

    private const string Json = """
        {"type": "object", "properties": {"location": {"type": "string", "description": "The city and country, e.g. Paris, France"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}
        {"type": "object", "properties": {"query": {"type": "string", "description": "The search query"}, "max_results": {"type": "integer", "description": "How many results to return", "default": 5}}, "required": ["query"]}
        {"type": "object", "properties": {"path": {"type": "string", "description": "The path of the file to read"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}}, "required": ["path"], "additionalProperties": false}
        {"location": "Paris, France", "date": "2025-12-01", "temperature": 12, "condition": "light rain", "humidity": 81, "wind_speed": 24}
        {"timezone": "America/New_York", "datetime": "2025-12-01T10:30:00", "day_of_week": "Monday"}
        {"results": [{"title": "Release notes", "url": "https://example.com/notes", "snippet": "The new version adds tool calling and streaming."}], "total": 1}
        {"error": "file not found", "path": "notes.txt", "success": false}
        {"name": "get_weather", "arguments": {"location": "Tokyo", "unit": "celsius"}}
        [1, 2, 3, 4.5, true, false, null, "text", {"key": "value"}]
        """;

    /// <summary>Every text of the corpus; added tokens in them (BOS, User, think tags) are not trained on.</summary>
    public static IEnumerable<string> Texts()
    {
        yield return Prose;
        yield return Json;
        var tools = SampleTools();
        yield return ToolsPromptTemplate.Render(tools);
        var conversation = SampleConversation(tools);
        yield return DeepSeekV32Encoder.Encode(conversation, EncodeOptions.Thinking);
        yield return DeepSeekV32Encoder.Encode(conversation, EncodeOptions.Chat);
    }

    private static List<ToolDefinition> SampleTools() =>
    [
        ToolDefinition.FromJson("""{"name": "get_weather", "description": "Get the weather forecast for a city on a date", "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "The city"}, "date": {"type": "string", "description": "The date, YYYY-MM-DD"}}, "required": ["location", "date"]}}"""),
        ToolDefinition.FromJson("""{"name": "get_current_time", "description": "Get the current date and time in a timezone", "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}"""),
        ToolDefinition.FromJson("""{"name": "search", "description": "Search the web", "parameters": {"type": "object", "properties": {"query": {"type": "string"}, "max_results": {"type": "integer"}}, "required": ["query"]}}"""),
    ];

    private static List<Message> SampleConversation(List<ToolDefinition> tools) =>
    [
        Message.System("You are a helpful assistant.", tools),
        Message.User("What is the weather tomorrow in Paris?"),
        Message.Assistant(null, "The user wants the weather tomorrow. I need today's date first.",
            [new ToolCall("get_current_time", """{"timezone": "Europe/Paris"}""")]),
        Message.ToolResult("""{"datetime": "2025-12-01T10:30:00", "timezone": "Europe/Paris"}"""),
        Message.Assistant(null, "Today is the first of December, so tomorrow is the second. Now the forecast.",
            [new ToolCall("get_weather", """{"location": "Paris", "date": "2025-12-02"}"""),
             new ToolCall("search", """{"query": "Paris weather tomorrow", "max_results": 3}""")]),
        Message.ToolResult("""{"location": "Paris", "temperature": 14, "condition": "sunny"}"""),
        Message.ToolResult("""{"results": [], "total": 0}"""),
        Message.Assistant("Tomorrow in Paris it will be sunny, with a high of 14 degrees.",
            "The forecast says sunny and 14 degrees. I can answer now."),
        Message.User("Thank you! And the day after tomorrow?"),
    ];
}
