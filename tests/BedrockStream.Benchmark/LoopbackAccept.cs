using System.Net.Sockets;

namespace BedrockStream.Benchmark;

/// <summary>The accept loop of the benchmark's raw-socket servers: every connection served on its own, without Nagle delay.</summary>
internal static class LoopbackAccept
{
    public static async Task RunAsync(TcpListener listener, Func<Socket, Task> serve, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await listener.AcceptSocketAsync(stop); }
            catch (Exception) when (stop.IsCancellationRequested) { return; }
            socket.NoDelay = true;
            _ = serve(socket);
        }
    }
}
