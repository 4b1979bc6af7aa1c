using System.Globalization;
using System.Text.RegularExpressions;

namespace BedrockStream.Function.Local;

/// <summary>
/// The fake model's answer: deterministic from the prompt, so tests can predict it. It echoes the prompt's
/// words, then continues with lorem words that include multi-byte UTF-8 (2-, 3- and 4-byte characters),
/// which catches code that splits or counts text by bytes. Directives at the start of the prompt:
/// <c>#tokens:N</c> (answer length) and <c>#fault:name[@N]</c> (see <see cref="FakeFault"/>).
/// </summary>
public static partial class FakeAnswer
{
    private static readonly string[] Lorem =
    {
        "lorem", "ipsum", "café", "dolor", "naïve", "sit", "amet", "日本語", "consectetur", "crème", "brûlée",
        "adipiscing", "✓", "elit", "Ελληνικά", "sed", "🚀", "do", "smörgåsbord", "eiusmod", "jalapeño", "tempor",
    };

    /// <summary>The answer's tokens (each one contentBlockDelta). <paramref name="maxTokens"/> caps it (stop reason max_tokens).</summary>
    public static IReadOnlyList<string> Tokens(string prompt, int? maxTokens, out bool truncated)
    {
        var (text, tokenCount, _) = ParseDirectives(prompt);
        var words = Words(text);
        var count = tokenCount ?? Math.Min(512, 8 + 2 * words.Length);
        var tokens = new List<string>(count);
        string[] intro = { "Fake", " answer", " to", $" {words.Length}", " words:" };
        for (var i = 0; i < count; i++)
        {
            if (i < intro.Length) tokens.Add(intro[i]);
            else if (i - intro.Length < words.Length) tokens.Add(" " + words[i - intro.Length]);
            else tokens.Add(" " + Lorem[(i - intro.Length - words.Length) % Lorem.Length]);
        }
        truncated = maxTokens is { } max && max < tokens.Count;
        return truncated ? tokens.GetRange(0, maxTokens!.Value) : tokens;
    }

    /// <summary>The prompt without directives, and the directives' values.</summary>
    public static (string Text, int? Tokens, FakeFault? Fault) ParseDirectives(string prompt)
    {
        int? tokens = null;
        FakeFault? fault = null;
        var rest = prompt.TrimStart();
        while (true)
        {
            var m = Directive().Match(rest);
            if (!m.Success) break;
            var value = m.Groups["value"].Value;
            if (m.Groups["name"].Value.Equals("tokens", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                tokens = Math.Clamp(n, 1, 100_000);
            else if (FakeFault.TryParse(value, out var f))
                fault = f;
            rest = rest[m.Length..].TrimStart();
        }
        return (rest, tokens, fault);
    }

    public static int WordCount(string text) => Words(text).Length;

    private static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"^#(?<name>tokens|fault):(?<value>\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex Directive();
}
