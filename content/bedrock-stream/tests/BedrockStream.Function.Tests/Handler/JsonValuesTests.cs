using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>The loosely typed values of tool arguments, tool results and additional properties, written as JSON.</summary>
public class JsonValuesTests
{
    private static string Write(object? value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            JsonValues.Write(writer, value);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static TheoryData<object?, string> Values() => new()
    {
        { null, "null" },
        { "noon", "\"noon\"" },
        { true, "true" },
        { 42, "42" },
        { 42L, "42" },
        { 7u, "7" },
        { (short)-3, "-3" },
        { (byte)255, "255" },
        { 1.5, "1.5" },
        { 2.5f, "2.5" },
        { 3.25m, "3.25" },
        { new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.FromHours(1)), "\"2026-12-02T10:00:00+01:00\"" },
        { new DateTime(2026, 12, 2, 9, 0, 0, DateTimeKind.Utc), "\"2026-12-02T09:00:00Z\"" },
        { Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), "\"0f8fad5b-d9cb-469f-a165-70867728950e\"" },
        { new byte[] { 1, 2, 3 }, "\"AQID\"" },
        { new[] { "a", "b" }, "[\"a\",\"b\"]" },
        { new List<object?> { 1, "two", null }, "[1,\"two\",null]" },
        { DayOfWeek.Monday, "\"Monday\"" },
        { TimeSpan.FromSeconds(90), "\"00:01:30\"" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_value_is_written_as_its_JSON(object? value, string expected) => Assert.Equal(expected, Write(value));

    [Fact]
    public void JSON_given_as_an_element_or_a_node_is_written_as_it_is()
    {
        Assert.Equal("""{"a":[1,2]}""", Write(JsonDocument.Parse("""{"a":[1,2]}""").RootElement));
        Assert.Equal("""{"a":[1,2]}""", Write(JsonNode.Parse("""{"a":[1,2]}""")));
    }

    [Fact]
    public void A_dictionary_is_an_object_whose_values_are_written_the_same_way()
    {
        var arguments = new Dictionary<string, object?> { ["city"] = "Paris", ["days"] = 3, ["units"] = new[] { "C" } };

        Assert.Equal("""{"city":"Paris","days":3,"units":["C"]}""", Write(arguments));
    }
}
