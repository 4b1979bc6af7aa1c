using System.Globalization;

namespace BedrockStream.Function.Local;

/// <summary>The failures the fake model can produce (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html#API_runtime_ConverseStream_Errors), and broken streams.</summary>
public enum FakeFaultKind
{
    // HTTP errors before the stream: status + x-amzn-ErrorType + {"message"}.
    Validation,
    AccessDenied,
    NotFound,
    Throttling,
    ThrottlingNoRetryAfter,
    InternalServer,
    ServiceUnavailable,

    // Exception frames after HTTP 200 and some tokens.
    StreamThrottling,
    StreamModelError,
    StreamInternalServer,
    StreamValidation,
    StreamServiceUnavailable,

    // Broken streams.
    /// <summary>Deltas, then the end of the body: no messageStop, no metadata.</summary>
    NoMessageStop,
    /// <summary>A frame whose message CRC is wrong.</summary>
    BadCrc,
    /// <summary>The connection is reset mid-stream.</summary>
    ConnectionReset,
    /// <summary>Sending stops but the connection stays open.</summary>
    Stall,
    /// <summary>A normal end with <c>stopReason: guardrail_intervened</c>.</summary>
    Guardrail,
}

/// <summary>
/// A fault to inject, written <c>name</c> or <c>name@N</c> (after N tokens, for mid-stream faults; default 3).
/// Given per request (a prompt starting with <c>#fault:name</c>, or the header <c>x-fake-fault: name</c>)
/// or programmatically (<see cref="FakeModel.NextFault"/>).
/// </summary>
public sealed record FakeFault(FakeFaultKind Kind, int AfterTokens = 3)
{
    private static readonly Dictionary<string, FakeFaultKind> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["validation"] = FakeFaultKind.Validation,
        ["access-denied"] = FakeFaultKind.AccessDenied,
        ["not-found"] = FakeFaultKind.NotFound,
        ["throttling"] = FakeFaultKind.Throttling,
        ["throttling-no-retry-after"] = FakeFaultKind.ThrottlingNoRetryAfter,
        ["internal"] = FakeFaultKind.InternalServer,
        ["unavailable"] = FakeFaultKind.ServiceUnavailable,
        ["stream-throttling"] = FakeFaultKind.StreamThrottling,
        ["stream-model-error"] = FakeFaultKind.StreamModelError,
        ["stream-internal"] = FakeFaultKind.StreamInternalServer,
        ["stream-validation"] = FakeFaultKind.StreamValidation,
        ["stream-unavailable"] = FakeFaultKind.StreamServiceUnavailable,
        ["no-message-stop"] = FakeFaultKind.NoMessageStop,
        ["bad-crc"] = FakeFaultKind.BadCrc,
        ["reset"] = FakeFaultKind.ConnectionReset,
        ["stall"] = FakeFaultKind.Stall,
        ["guardrail"] = FakeFaultKind.Guardrail,
    };

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>What a fault does, in a few words (the chat page's fault list).</summary>
    public static string Describe(string name) => ByName.TryGetValue(name, out var kind) ? kind switch
    {
        FakeFaultKind.Validation => "HTTP 400 ValidationException before the stream",
        FakeFaultKind.AccessDenied => "HTTP 403 AccessDeniedException before the stream",
        FakeFaultKind.NotFound => "HTTP 404 ResourceNotFoundException before the stream",
        FakeFaultKind.Throttling => "HTTP 429 ThrottlingException with Retry-After: 2 before the stream",
        FakeFaultKind.ThrottlingNoRetryAfter => "HTTP 429 ThrottlingException without Retry-After",
        FakeFaultKind.InternalServer => "HTTP 500 InternalServerException before the stream",
        FakeFaultKind.ServiceUnavailable => "HTTP 503 ServiceUnavailableException before the stream",
        FakeFaultKind.StreamThrottling => "throttlingException frame after N tokens",
        FakeFaultKind.StreamModelError => "modelStreamErrorException frame after N tokens",
        FakeFaultKind.StreamInternalServer => "internalServerException frame after N tokens",
        FakeFaultKind.StreamValidation => "validationException frame after N tokens",
        FakeFaultKind.StreamServiceUnavailable => "serviceUnavailableException frame after N tokens",
        FakeFaultKind.NoMessageStop => "the body ends after N tokens, without messageStop",
        FakeFaultKind.BadCrc => "a frame with a wrong CRC after N tokens",
        FakeFaultKind.ConnectionReset => "the connection is reset after N tokens",
        FakeFaultKind.Stall => "sending stops after N tokens, the connection stays open",
        FakeFaultKind.Guardrail => "the answer ends after N tokens with guardrail_intervened",
        _ => kind.ToString(),
    } : "";

    /// <summary>True for faults answered with an HTTP error instead of a stream.</summary>
    public bool IsHttpError => Kind <= FakeFaultKind.ServiceUnavailable;

    public string Name => ByName.First(p => p.Value == Kind).Key;

    public static FakeFault Parse(string text) =>
        TryParse(text, out var fault) ? fault : throw new FormatException($"Unknown fault '{text}'. Known: {string.Join(", ", Names)} (optionally @N).");

    public static bool TryParse(string? text, out FakeFault fault)
    {
        fault = null!;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('@', 2);
        if (!ByName.TryGetValue(parts[0], out var kind)) return false;
        var after = 3;
        if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0)) return false;
        fault = new FakeFault(kind, after);
        return true;
    }

    public override string ToString() => IsHttpError ? Name : $"{Name}@{AfterTokens}";
}
