using System.Text;

namespace BedrockStream.Benchmark;

/// <summary>Lays out rows of cells as a Markdown table, columns padded to their widest cell (readable as plain text too).</summary>
internal static class MarkdownTable
{
    public static string Render(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var lines = new List<IReadOnlyList<string>> { header };
        lines.AddRange(rows);
        var widths = Enumerable.Range(0, header.Count).Select(c => lines.Max(l => l[c].Length)).ToArray();
        var text = new StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            text.Append("| ").AppendJoin(" | ", lines[i].Select((cell, c) => cell.PadRight(widths[c]))).AppendLine(" |");
            if (i == 0) text.Append('|').AppendJoin('|', widths.Select(w => new string('-', w + 2))).AppendLine("|");
        }
        return text.ToString();
    }
}
