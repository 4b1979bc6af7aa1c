using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>
/// Reads a CloudFormation/SAM YAML template into JSON, turning the short tags (<c>!Sub</c>, <c>!Ref</c>,
/// <c>!GetAtt</c>, ...) into their long forms (<c>Fn::Sub</c>, <c>Ref</c>, <c>Fn::GetAtt</c>), the way
/// CloudFormation itself reads them, so the result can be checked against the SAM JSON schema.
/// </summary>
public static class CloudFormationYaml
{
    public static JsonObject Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
            stream.Load(reader);
        Assert.Single(stream.Documents);
        return (JsonObject)Convert(stream.Documents[0].RootNode)!;
    }

    private static JsonNode? Convert(YamlNode node)
    {
        var value = node switch
        {
            YamlMappingNode map => ConvertMapping(map),
            YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Convert).ToArray()),
            YamlScalarNode scalar => ConvertScalar(scalar),
            _ => throw new NotSupportedException(node.GetType().Name),
        };
        return node.Tag.IsEmpty || node.Tag.Value is "!" or "tag:yaml.org,2002:str" ? value : ApplyShortTag(node.Tag.Value, value);
    }

    private static JsonObject ConvertMapping(YamlMappingNode map)
    {
        var result = new JsonObject();
        foreach (var (key, child) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            Assert.False(result.ContainsKey(name), $"duplicate key '{name}' at {key.Start}");
            result[name] = Convert(child);
        }
        return result;
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(text);
        // YAML 1.2 core schema for plain scalars.
        if (text is "" or "~" or "null" or "Null" or "NULL") return null;
        if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return JsonValue.Create(integer);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && text.Any(char.IsDigit)) return JsonValue.Create(real);
        return JsonValue.Create(text);
    }

    private static JsonObject ApplyShortTag(string tag, JsonNode? value)
    {
        var function = tag.TrimStart('!');
        return function switch
        {
            "Ref" => new JsonObject { ["Ref"] = value },
            "Condition" => new JsonObject { ["Condition"] = value },
            // !GetAtt Resource.Attribute is Fn::GetAtt [Resource, Attribute].
            "GetAtt" when value is JsonValue v && v.GetValue<string>() is var text =>
                new JsonObject { ["Fn::GetAtt"] = new JsonArray(text.Split('.', 2).Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()) },
            _ => new JsonObject { ["Fn::" + function] = value },
        };
    }
}
