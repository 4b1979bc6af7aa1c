using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tools;

/// <summary>The model's clock: the current date and time in any IANA time zone.</summary>
internal static partial class CurrentTime
{
    [ModuleInitializer]
    internal static void Register() => FunctionTools.Add(AIFunctionFactory.Create(Now, new AIFunctionFactoryOptions
    {
        Name = "current_time",
        Description = "Returns the current date and time. Use it whenever the answer depends on today's date or the time of day.",
        SerializerOptions = ToolJson.Options(CurrentTimeJson.Default),
    }));

    /// <param name="timeZone">An IANA time zone such as Europe/Paris or America/New_York; UTC when omitted.</param>
    private static CurrentTimeResult Now([Description("An IANA time zone such as Europe/Paris or America/New_York; UTC when omitted.")] string? timeZone = null)
    {
        // An unknown zone is an error the model sees (and can correct), not a crash: the tool loop reports it as the tool's result.
        var zone = string.IsNullOrWhiteSpace(timeZone) ? TimeZoneInfo.Utc
            : TimeZoneInfo.TryFindSystemTimeZoneById(timeZone.Trim(), out var found) ? found
            : throw new ArgumentException($"Unknown time zone '{timeZone}': use an IANA name such as Europe/Paris.");
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone);
        return new CurrentTimeResult(now.ToString("yyyy-MM-dd'T'HH:mm:sszzz"), zone.Id, now.DayOfWeek.ToString());
    }

    internal sealed record CurrentTimeResult(string Time, string TimeZone, string DayOfWeek);

    // Source-generated JSON for the result (Native AOT has no reflection-based serialization).
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(CurrentTimeResult))]
    private sealed partial class CurrentTimeJson : JsonSerializerContext;
}
