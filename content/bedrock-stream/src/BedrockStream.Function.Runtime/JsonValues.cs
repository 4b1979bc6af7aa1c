using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// Writes the loosely typed values of Microsoft.Extensions.AI (tool arguments, tool results, additional properties)
/// as JSON without reflection, so the writes stay Native AOT safe.
/// </summary>
public static class JsonValues
{
    /// <summary>Writes a value given as JSON (element or node), a primitive, or a type the Microsoft.Extensions.AI serializer knows.</summary>
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case JsonElement element: element.WriteTo(writer); break;
            case JsonNode node: node.WriteTo(writer); break;
            case string text: writer.WriteStringValue(text); break;
            case bool flag: writer.WriteBooleanValue(flag); break;
            case int number: writer.WriteNumberValue(number); break;
            case long number: writer.WriteNumberValue(number); break;
            case double number: writer.WriteNumberValue(number); break;
            case float number: writer.WriteNumberValue(number); break;
            case decimal number: writer.WriteNumberValue(number); break;
            case IDictionary<string, object?> dictionary: WriteObject(writer, dictionary); break;
            default:
                // Source-generated metadata only (Native AOT): a type outside AIJsonUtilities' context is written as text.
                if (AIJsonUtilities.DefaultOptions.TryGetTypeInfo(value.GetType(), out var typeInfo))
                    JsonSerializer.Serialize(writer, value, typeInfo);
                else
                    writer.WriteStringValue(value.ToString());
                break;
        }
    }

    /// <summary>Writes <paramref name="properties"/> as a JSON object (<c>{}</c> when null).</summary>
    public static void WriteObject(Utf8JsonWriter writer, IDictionary<string, object?>? properties)
    {
        writer.WriteStartObject();
        if (properties is not null)
        {
            foreach ((string name, object? value) in properties)
            {
                writer.WritePropertyName(name);
                Write(writer, value);
            }
        }

        writer.WriteEndObject();
    }
}
