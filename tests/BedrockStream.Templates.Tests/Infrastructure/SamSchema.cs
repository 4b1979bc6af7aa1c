using System.Text.Json.Nodes;
using NJsonSchema;
using NJsonSchema.Validation;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>AWS's SAM JSON schema (draft-04; the one IDEs and <c>sam validate</c> use).</summary>
public static class SamSchema
{
    private static readonly Lazy<Task<JsonSchema>> Schema = new(() => JsonSchema.FromFileAsync(RepoPaths.SamSchema));

    /// <summary>The schema's complaints about <paramref name="template"/>, one line each; empty when valid.</summary>
    public static async Task<IReadOnlyList<string>> ValidateAsync(JsonObject template)
    {
        var schema = await Schema.Value;
        var lines = new List<string>();
        foreach (var error in schema.Validate(template.ToJsonString()))
            Flatten(error, lines);
        return lines;
    }

    // A resource is checked against every resource type (anyOf), so the useful errors are nested.
    private static void Flatten(ValidationError error, List<string> into)
    {
        into.Add($"{error.Path} {error.Property}: {error.Kind}");
        if (error is ChildSchemaValidationError child)
            foreach (var nested in child.Errors.Values.SelectMany(e => e))
                Flatten(nested, into);
    }
}
