using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tools;

/// <summary>
/// The tools this function offers the model. Every file in this folder registers its tool here from a module
/// initializer, which runs once when the function starts: adding a tool is adding a file (<c>dotnet new bedrock-tool
/// -n GetWeather</c> writes one), with no list to edit and no reflection (Native AOT).
/// </summary>
public static class FunctionTools
{
    private static readonly List<AITool> Registered = [];

    /// <summary>The registered tools, in no particular order.</summary>
    public static IReadOnlyList<AITool> All => Registered;

    /// <summary>Offers <paramref name="tool"/> to the model.</summary>
    /// <exception cref="InvalidOperationException">Another tool has the same name.</exception>
    public static void Add(AIFunction tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        if (Registered.Exists(t => t.Name == tool.Name))
            throw new InvalidOperationException($"Two tools are named '{tool.Name}': tool names must be unique.");
        Registered.Add(tool);
        ToolLoop.Enable();
    }
}
