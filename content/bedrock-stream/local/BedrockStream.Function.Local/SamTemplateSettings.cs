using System.Globalization;

namespace BedrockStream.Function.Local;

/// <summary>
/// The function's settings as deployed: <c>Timeout</c>, <c>MemorySize</c>, <c>Handler</c> and <c>Environment.Variables</c>
/// of the project's <c>template.yaml</c>, so that <c>dotnet run</c> of the host runs the function as Lambda will.
/// A deliberately small reader of the one layout this project's template uses (no YAML library needed).
/// </summary>
public sealed record SamTemplateSettings(int? Timeout, int? MemorySize, string? Handler, IReadOnlyDictionary<string, string> Variables)
{
    /// <summary>The <c>template.yaml</c> of the project this host belongs to (searched upwards from the host and the working directory).</summary>
    public static SamTemplateSettings? Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "template.yaml");
                if (File.Exists(path) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                    return Read(File.ReadAllLines(path));
            }
        return null;
    }

    public static SamTemplateSettings Read(IEnumerable<string> lines)
    {
        int? timeout = null, memory = null;
        string? handler = null;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var variablesIndent = -1;
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            var text = line.TrimStart();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            var indent = line.Length - text.Length;
            if (variablesIndent >= 0)
            {
                if (indent > variablesIndent && Split(text) is var (key, value))
                {
                    variables[key] = value;
                    continue;
                }
                variablesIndent = -1;   // the Variables block ended
            }
            switch (Split(text))
            {
                case ("Timeout", var value) when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds):
                    timeout = seconds;
                    break;
                case ("MemorySize", var value) when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mb):
                    memory = mb;
                    break;
                case ("Handler", { Length: > 0 } value):
                    handler = value;
                    break;
                case ("Variables", ""):
                    variablesIndent = indent;
                    break;
            }
        }
        return new SamTemplateSettings(timeout, memory, handler, variables);
    }

    // "KEY: value" with optional quotes around the value.
    private static (string Key, string Value)? Split(string text)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0 || text.StartsWith('-')) return null;
        var value = text[(colon + 1)..].Trim();
        if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0]) value = value[1..^1];
        return (text[..colon].Trim(), value);
    }
}
