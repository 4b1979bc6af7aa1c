using System.Globalization;
using System.Text.RegularExpressions;

namespace BedrockStream.Function.Local;

/// <summary>
/// What a prompt asks of the fake model, from directives at its start (all optional, in any order):
/// <c>#tokens:N</c> answer length; <c>#fault:name[@N]</c> a failure (see <see cref="FakeFault"/>);
/// <c>#reason[:N]</c> reason first, in N tokens; <c>#redacted</c> encrypted reasoning instead;
/// <c>#tool:name[{json}]</c> call that tool once (with that input); <c>#tool-loop:name</c> call it on every turn;
/// <c>#echo</c> answer with the rest of the prompt as it is (line breaks, Markdown, markup and all).
/// </summary>
public sealed record FakeDirectives(
    string Text,
    int? Tokens = null,
    FakeFault? Fault = null,
    int? ReasoningTokens = null,
    bool Redacted = false,
    string? ToolName = null,
    string? ToolInput = null,
    bool ToolLoop = false,
    bool Echo = false);

/// <summary>
/// The fake model's answer: deterministic from the prompt, so tests can predict it. It echoes the prompt's
/// words, then continues with lorem words that include multi-byte UTF-8 (2-, 3- and 4-byte characters),
/// which catches code that splits or counts text by bytes.
/// </summary>
public static partial class FakeAnswer
{
    private static readonly string[] Lorem =
    {
        "lorem", "ipsum", "café", "dolor", "naïve", "sit", "amet", "日本語", "consectetur", "crème", "brûlée",
        "adipiscing", "✓", "elit", "Ελληνικά", "sed", "🚀", "do", "smörgåsbord", "eiusmod", "jalapeño", "tempor",
    };

    private static readonly string[] Thoughts =
    {
        "The", " user", " asks", " about", " this.", " Let", " me", " think", " it", " through", " step", " by", " step:",
        " first", " the", " facts,", " then", " the", " answer.",
    };

    /// <summary>The answer's tokens (each one contentBlockDelta). <paramref name="maxTokens"/> caps it (stop reason max_tokens).</summary>
    public static IReadOnlyList<string> Tokens(string prompt, int? maxTokens, out bool truncated)
    {
        var directives = ParseDirectives(prompt);
        if (directives.Echo && directives.Text.Length > 0)
        {
            var pieces = Pieces(directives.Text);
            truncated = maxTokens is { } cap && cap < pieces.Count;
            return truncated ? pieces.GetRange(0, maxTokens!.Value) : pieces;
        }
        var words = Words(directives.Text);
        var count = directives.Tokens ?? Math.Min(512, 8 + 2 * words.Length);
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

    /// <summary>The reasoning's tokens: a short fixed monologue, repeated to <paramref name="count"/> tokens.</summary>
    public static IReadOnlyList<string> Reasoning(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Thoughts[i % Thoughts.Length])];

    /// <summary>The answer to a turn of tool results: what the tools returned, word by word.</summary>
    public static IReadOnlyList<string> AfterTools(IEnumerable<FakeBlock> results)
    {
        var tokens = new List<string> { "The", " tools", " returned" };
        foreach (var result in results)
        {
            tokens.Add(result.Status == "error" ? " an error:" : ":");
            tokens.AddRange(Words(result.Text ?? "").Select(w => " " + w));
        }
        tokens.Add(".");
        return tokens;
    }

    /// <summary>The prompt without directives, and the directives' values.</summary>
    public static FakeDirectives ParseDirectives(string prompt)
    {
        var directives = new FakeDirectives("");
        var rest = prompt.TrimStart();
        while (true)
        {
            var m = Directive().Match(rest);
            if (!m.Success) break;
            var value = m.Groups["value"].Value;
            directives = m.Groups["name"].Value.ToLowerInvariant() switch
            {
                "tokens" when Int(value) is { } n => directives with { Tokens = Math.Clamp(n, 1, 100_000) },
                "fault" when FakeFault.TryParse(value, out var f) => directives with { Fault = f },
                "reason" => directives with { ReasoningTokens = Math.Clamp(Int(value) ?? 12, 1, 10_000) },
                "redacted" => directives with { Redacted = true },
                "echo" => directives with { Echo = true },
                "tool" when value.Length > 0 => directives with { ToolName = ToolName(value), ToolInput = ToolInput(value) },
                "tool-loop" when value.Length > 0 => directives with { ToolName = ToolName(value), ToolInput = ToolInput(value), ToolLoop = true },
                _ => directives,
            };
            rest = rest[m.Length..].TrimStart();
        }
        return directives with { Text = rest };
    }

    public static int WordCount(string text) => Words(text).Length;

    /// <summary>An IANA time zone named in the text (<c>Europe/Paris</c>, <c>America/New_York</c>), if any.</summary>
    public static string? TimeZoneIn(string text) => TimeZone().Match(text) is { Success: true } m ? m.Value : null;

    private static int? Int(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string ToolName(string value) => value.Split('{', 2)[0];

    private static string? ToolInput(string value) => value.IndexOf('{') is var brace and >= 0 ? value[brace..] : null;

    private static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Text cut the way a model streams it: whitespace, then a few characters, per token (surrogate pairs kept whole).</summary>
    private static List<string> Pieces(string text)
    {
        var pieces = new List<string>();
        for (int i = 0; i < text.Length;)
        {
            int start = i;
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            for (int taken = 0; i < text.Length && !char.IsWhiteSpace(text[i]) && taken < 4; taken++)
                i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
            pieces.Add(text[start..i]);
        }
        return pieces;
    }

    [GeneratedRegex(@"^#(?<name>tokens|fault|reason|redacted|tool-loop|tool|echo)(?::(?<value>\S*))?(?=\s|$)", RegexOptions.IgnoreCase)]
    private static partial Regex Directive();

    [GeneratedRegex(@"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z_]+(?:/[A-Za-z_]+)?\b")]
    private static partial Regex TimeZone();
}
