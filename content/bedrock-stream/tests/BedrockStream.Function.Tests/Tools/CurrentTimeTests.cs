using System.Text.Json;
using BedrockStream.Function.Tools;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Tools;

/// <summary>The template's example tool, as the model sees and calls it.</summary>
public class CurrentTimeTests
{
    private static AIFunction Tool => Assert.IsAssignableFrom<AIFunction>(Assert.Single(FunctionTools.All, t => t.Name == "current_time"));

    private static async Task<JsonElement> CallAsync(object? timeZone)
    {
        var arguments = timeZone is null ? new AIFunctionArguments() : new AIFunctionArguments { ["timeZone"] = timeZone };
        return Assert.IsType<JsonElement>(await Tool.InvokeAsync(arguments));
    }

    [Fact]
    public void It_is_offered_with_a_described_optional_time_zone()
    {
        var schema = Tool.JsonSchema;
        var timeZone = schema.GetProperty("properties").GetProperty("timeZone");
        Assert.Contains("IANA", timeZone.GetProperty("description").GetString());
        Assert.False(schema.TryGetProperty("required", out var required) && required.EnumerateArray().Any(r => r.GetString() == "timeZone"));
        Assert.False(string.IsNullOrWhiteSpace(Tool.Description));
    }

    [Fact]
    public async Task It_tells_the_time_in_the_zone_asked_for()
    {
        var before = DateTimeOffset.UtcNow;

        var result = await CallAsync("Asia/Tokyo");

        Assert.Equal("Asia/Tokyo", result.GetProperty("timeZone").GetString());
        var time = DateTimeOffset.Parse(result.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(9), time.Offset);   // Japan has no daylight saving time
        Assert.InRange(time, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(time.DayOfWeek.ToString(), result.GetProperty("dayOfWeek").GetString());
    }

    [Fact]
    public async Task Without_a_zone_it_answers_in_UTC()
    {
        var result = await CallAsync(null);

        Assert.Equal("UTC", result.GetProperty("timeZone").GetString());
        Assert.EndsWith("+00:00", result.GetProperty("time").GetString());
    }

    [Fact]
    public async Task An_unknown_zone_is_an_error_the_model_can_read()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => CallAsync("Mars/Olympus"));

        Assert.Contains("Unknown time zone 'Mars/Olympus'", error.Message);
    }
}
