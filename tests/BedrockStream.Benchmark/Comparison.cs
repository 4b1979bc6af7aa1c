namespace BedrockStream.Benchmark;

/// <summary>One ratio column: a variant's figure divided by another's of the same run, e.g. "AOT ÷ Python".</summary>
internal sealed record Comparison(Variant Numerator, Variant Denominator)
{
    public string Header => $"{Numerator.ShortName} ÷ {Denominator.ShortName}";

    /// <summary>
    /// Every current variant against every peer (Python, Node), and the current Native AOT function against the
    /// reference build of an earlier commit (current ÷ reference: below 1× means the change made it faster or smaller).
    /// </summary>
    public static IReadOnlyList<Comparison> For(IReadOnlyList<Variant> variants)
    {
        var current = variants.Where(v => v.Role == VariantRole.Current).ToList();
        var peers = variants.Where(v => v.Role == VariantRole.Peer).ToList();
        var comparisons = peers.SelectMany(p => current.Select(c => new Comparison(c, p))).ToList();
        foreach (var reference in variants.Where(v => v.Role == VariantRole.Reference))
            if (current.FirstOrDefault() is { } aot) comparisons.Add(new Comparison(aot, reference));
        return comparisons;
    }
}
