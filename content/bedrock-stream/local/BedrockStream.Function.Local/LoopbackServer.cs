using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace BedrockStream.Function.Local;

/// <summary>Thrown when a port the host needs is already taken.</summary>
public sealed class PortInUseException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// A Kestrel server bound to 127.0.0.1 only: the host emulates AWS endpoints with fake credentials and
/// must never be reachable from the network.
/// </summary>
internal static class LoopbackServer
{
    public static async Task<(WebApplication App, int Port)> StartAsync(string role, int port, Action<WebApplication> map, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LoopbackServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        // A stuck request must not hold Ctrl+C (or a test's DisposeAsync) for the default 30 s.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        // No console lifetime: it would swallow Ctrl+C/SIGTERM to stop just this server. The owner
        // (Program, or a test) decides when everything stops, in order.
        builder.Services.AddSingleton<IHostLifetime, OwnerControlledLifetime>();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, port);
            o.AddServerHeader = false;
            // A streamed response may be silent for a long time (waiting for the model): Kestrel's
            // minimum data rates would cut it, and the function timeout bounds every wait anyway.
            o.Limits.MinRequestBodyDataRate = null;
            o.Limits.MinResponseDataRate = null;
            o.Limits.MaxRequestBodySize = null;
            // Kestrel refuses more than 100 request headers (431) before the front sees the request; a
            // Function URL passes them on in the event, so the front must too (its total size stays bounded
            // by Kestrel's 32 KB MaxRequestHeadersTotalSize).
            o.Limits.MaxRequestHeaderCount = 1000;
        });
        var app = builder.Build();
        map(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            throw new PortInUseException($"The {role} could not listen on 127.0.0.1:{port}: {ex.Message} (choose another port, or 0 for any free one).", ex);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address).Port);
    }
}

/// <summary>An <see cref="IHostLifetime"/> that ignores process signals.</summary>
internal sealed class OwnerControlledLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
