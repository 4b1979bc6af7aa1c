using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// Writes the loosely typed values of Microsoft.Extensions.AI (tool arguments, tool results, additional properties)
/// as JSON without reflection, so the writes stay Native AOT safe. It uses no serializer options on purpose:
/// Microsoft.Extensions.AI's (AIJsonUtilities.DefaultOptions) would bring the JSON metadata of all its types into every
/// binary, tools or not.
/// </summary>
public static class JsonValues
{
    /// <summary>
    /// Writes a value given as JSON (element or node), a primitive, a dictionary or a list of such values; any other
    /// value as its text. Tool results are JSON already: Microsoft.Extensions.AI's functions return them serialized
    /// with the tool's own options.
    /// </summary>
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
            case uint number: writer.WriteNumberValue(number); break;
            case ulong number: writer.WriteNumberValue(number); break;
            case short number: writer.WriteNumberValue(number); break;
            case ushort number: writer.WriteNumberValue(number); break;
            case byte number: writer.WriteNumberValue(number); break;
            case sbyte number: writer.WriteNumberValue(number); break;
            case double number: writer.WriteNumberValue(number); break;
            case float number: writer.WriteNumberValue(number); break;
            case decimal number: writer.WriteNumberValue(number); break;
            case DateTimeOffset time: writer.WriteStringValue(time); break;
            case DateTime time: writer.WriteStringValue(time); break;
            case Guid id: writer.WriteStringValue(id); break;
            case byte[] bytes: writer.WriteBase64StringValue(bytes); break;
            case IDictionary<string, object?> dictionary: WriteObject(writer, dictionary); break;
            case IEnumerable items: WriteArray(writer, items); break;
            default: writer.WriteStringValue(value.ToString()); break;
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

    private static void WriteArray(Utf8JsonWriter writer, IEnumerable items)
    {
        writer.WriteStartArray();
        foreach (object? item in items)
        {
            Write(writer, item);
        }

        writer.WriteEndArray();
    }
}
