namespace BedrockStream.Function.Runtime;

/// <summary>
/// The function's configuration (its environment variables) is missing or invalid. Thrown at start-up, it is
/// reported to Lambda as <c>Runtime.ConfigInvalid</c> on <c>/runtime/init/error</c>, so the first caller sees why.
/// The message names the variable and its allowed values.
/// </summary>
public sealed class ConfigurationException(string message) : Exception(message);
