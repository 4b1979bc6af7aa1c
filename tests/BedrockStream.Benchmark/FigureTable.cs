using System.Globalization;

namespace BedrockStream.Benchmark;

/// <summary>Which ratio cells of a row mean something.</summary>
internal enum Ratios
{
    All,
    /// <summary>Not to a peer (artifact sizes: the peers leave their interpreter out); to the reference build, yes.</summary>
    NotToPeers,
    /// <summary>None (a difference, such as memory growth: a ratio of two small differences says nothing).</summary>
    None,
}

/// <summary>One line of a figure table: how to read the figure from a variant's results, and whether a target is met.</summary>
/// <param name="Meets">Null where the row has no target for that variant (peers never have one).</param>
internal sealed record Row<T>(string Label, string Target, Func<T, Figure> Value, Func<Variant, T, bool?> Meets, string Format = "0.00", Ratios Ratios = Ratios.All)
{
    public static Func<Variant, T, bool?> NoTarget => (_, _) => null;
}

/// <summary>
/// A Markdown table of figures: one column per variant (p50 / p99, or a single value), then one ratio column per
/// <see cref="Comparison"/> of the same run, then (with targets) which variants met them.
/// </summary>
internal static class FigureTable
{
    public static string Render<T>(IReadOnlyList<Variant> variants, Func<Variant, T> results, IEnumerable<Row<T>> rows, bool withTargets)
    {
        var comparisons = Comparison.For(variants);
        var header = new List<string> { "figure" };
        if (withTargets) header.Add("target");
        header.AddRange(variants.Select(v => v.Name));
        header.AddRange(comparisons.Select(c => c.Header));
        if (withTargets) header.Add("met");

        var lines = rows.Select(row =>
        {
            var cells = new List<string> { row.Label };
            if (withTargets) cells.Add(row.Target is { Length: > 0 } target ? target : "–");
            cells.AddRange(variants.Select(v => Cell(row.Value(results(v)), row.Format)));
            cells.AddRange(comparisons.Select(c => Shown(row.Ratios, c) ? Ratio(row.Value(results(c.Numerator)), row.Value(results(c.Denominator))) : "n/a"));
            if (withTargets)
            {
                var met = variants
                    .Select(v => row.Meets(v, results(v)) switch { true => $"{v.ShortName} yes", false => $"{v.ShortName} NO", null => null })
                    .OfType<string>();
                cells.Add(string.Join(", ", met) is { Length: > 0 } m ? m : "–");
            }
            return (IReadOnlyList<string>)cells;
        });
        return MarkdownTable.Render(header, lines.ToList());
    }

    private static bool Shown(Ratios ratios, Comparison c) => ratios switch
    {
        Ratios.All => true,
        Ratios.NotToPeers => c.Denominator.Role != VariantRole.Peer,
        _ => false,
    };

    private static string Cell(Figure f, string format) =>
        f.P99 is { } p99 ? $"{Num(f.P50, format)} / {Num(p99, format)}" : Num(f.P50, format);

    private static string Ratio(Figure value, Figure of)
    {
        static string One(double v, double b) =>
            b == 0 ? (v == 0 ? "1×" : "–") : (v / b).ToString(v / b < 0.1 ? "0.000" : "0.00", CultureInfo.InvariantCulture) + "×";
        return value.P99 is { } p99 && of.P99 is { } b99 ? $"{One(value.P50, of.P50)} / {One(p99, b99)}" : One(value.P50, of.P50);
    }

    private static string Num(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}
