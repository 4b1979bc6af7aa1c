using System.Text;

namespace BedrockStream.Benchmark;

/// <summary>
/// Buffered reading of HTTP/1.1 from a connection's stream (a socket's <see cref="System.Net.Sockets.NetworkStream"/>,
/// or the <see cref="System.Net.Security.SslStream"/> over it), for the benchmark's own servers (fake model,
/// Runtime API listener). Raw sockets, not Kestrel, so that the timestamps are taken next to the kernel call and
/// the measuring side adds as little as possible.
/// </summary>
internal sealed class RawHttpReader(Stream connection)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private static readonly byte[] BlankLine = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();

    /// <summary>The request line and headers (without the blank line), or null when the peer closed first.</summary>
    public Task<string?> ReadHeadAsync(CancellationToken ct) => ReadUntilAsync(BlankLine, ct);

    /// <summary>One CRLF-terminated line (chunk sizes, trailers).</summary>
    public async Task<string> ReadLineAsync(CancellationToken ct) =>
        await ReadUntilAsync(LineEnd, ct) ?? throw new EndOfStreamException("The connection closed mid-line.");

    /// <summary>The ASCII text up to <paramref name="delimiter"/> (which is consumed), or null when the peer closed first.</summary>
    private async Task<string?> ReadUntilAsync(byte[] delimiter, CancellationToken ct)
    {
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf(delimiter);
            if (end >= 0)
            {
                var text = Encoding.ASCII.GetString(_buffer, _start, end);
                _start += end + delimiter.Length;
                return text;
            }
            if (!await FillAsync(ct)) return null;
        }
    }

    /// <summary>Up to <paramref name="max"/> bytes (buffered ones first); empty at the end of the connection.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadSomeAsync(int max, CancellationToken ct)
    {
        if (_start == _end && !await FillAsync(ct)) return ReadOnlyMemory<byte>.Empty;
        var count = Math.Min(max, _end - _start);
        var data = _buffer.AsMemory(_start, count);
        _start += count;
        return data;
    }

    /// <summary>Reads and drops exactly <paramref name="count"/> bytes (a request body).</summary>
    public async Task SkipAsync(long count, CancellationToken ct)
    {
        while (count > 0)
        {
            var data = await ReadSomeAsync((int)Math.Min(count, int.MaxValue), ct);
            if (data.IsEmpty) throw new EndOfStreamException("The connection closed mid-body.");
            count -= data.Length;
        }
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_start == _end) _start = _end = 0;
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) throw new InvalidDataException("An HTTP head larger than 64 KB.");
        var read = await connection.ReadAsync(_buffer.AsMemory(_end), ct);
        _end += read;
        return read > 0;
    }

    /// <summary>The value of a header in a head read by <see cref="ReadHeadAsync"/>, or null.</summary>
    public static string? Header(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return line[(colon + 1)..].Trim();
        }
        return null;
    }
}
