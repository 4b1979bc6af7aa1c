using BedrockStream.Function.Local;

// dotnet run --project local/BedrockStream.Function.Local [-- options]   (see CommandLine.Usage)
LocalHostOptions options;
try
{
    options = CommandLine.Parse(args, out var help);
    if (help)
    {
        Console.WriteLine(CommandLine.Usage);
        return 0;
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // shut down in order instead of being killed
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

LocalHost host;
try
{
    host = await LocalHost.StartAsync(options, stop.Token);
}
catch (Exception ex) when (ex is PortInUseException or InvalidOperationException or FileNotFoundException)
{
    Console.Error.WriteLine("[host] " + ex.Message);
    return 1;
}
catch (OperationCanceledException)
{
    return 130;
}

await using (host)
{
    var modelLine = host.FakeModelEndpoint?.ToString() ?? "(off: calling Amazon Bedrock)";
    var rate = host.FakeModel is null ? "" : $", fake model at {options.TokenRate:0.##} tokens/s";
    Console.WriteLine($$"""

        Function URL   {{host.FunctionUrl}}   (curl -N {{host.FunctionUrl}} -H 'content-type: application/json' -d '{"prompt":"Hello"}')
        Chat page      {{host.FunctionUrl}}
        Runtime API    {{host.RuntimeApiEndpoint}}
        Fake model     {{modelLine}}
        Function       {{host.FunctionCommand}}
        Timeout        {{options.FunctionTimeout.TotalSeconds:0.##}} s{{rate}}
        Ctrl+C stops everything.

        """);
    var stopped = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => "", TaskScheduler.Default);
    var first = await Task.WhenAny(stopped, host.FunctionGaveUp);
    if (first == host.FunctionGaveUp)
    {
        Console.Error.WriteLine("[host] stopping: " + await host.FunctionGaveUp);
        return 1;
    }
    Console.WriteLine("[host] stopping");
}
return 0;
