using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// One HTTP/1.1 client connection to the Runtime API: writes raw request bytes and parses responses
/// (Content-Length, chunked, or read-to-close bodies).
/// </summary>
/// <remarks>
/// Hand-written rather than HttpClient because the streaming <c>/response</c> needs HTTP trailers, which
/// SocketsHttpHandler cannot send (Amazon.Lambda.RuntimeSupport writes its own raw client for the same reason); reusing the same small
/// parser for <c>/next</c> and <c>/error</c> keeps HttpClient's start-up cost and size out of the Native AOT binary.
/// Not thread-safe: one request/response at a time.
/// </remarks>
internal sealed class HttpConnection : IDisposable
{
    private const int InitialBufferSize = 8 * 1024;
    private const int MaxHeadBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private byte[] _buffer;
    private int _start; // unread bytes are _buffer[_start.._end)
    private int _end;
    private int _headStart; // header lines of the last response head, valid until the body is read
    private int _headEnd;
    private long _contentLength;
    private bool _chunked;
    private bool _noBody;
    private bool _disposed;

    private HttpConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    }

    /// <summary>True when the last response allows another request on this connection.</summary>
    public bool KeepAlive { get; private set; }

    /// <summary>True once any byte of the current response arrived (a reused connection that fails before that was stale).</summary>
    public bool ReceivedResponseBytes { get; private set; }

    public static async ValueTask<HttpConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        // Dual-mode socket: works for IPv4, IPv6 and DNS end points alike.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp)
        {
            // Each chunk must leave at once: Nagle would hold a small token chunk back waiting for an ACK.
            NoDelay = true,
        };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new HttpConnection(socket);
    }

    /// <summary>Writes bytes straight to the socket (NetworkStream does not buffer, so this is also the flush).</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>Reads a status line and headers; returns the status code.</summary>
    public async ValueTask<int> ReadResponseHeadAsync(CancellationToken cancellationToken)
    {
        ReceivedResponseBytes = _end > _start;
        int headLength;
        while ((headLength = FindHeadLength()) < 0)
        {
            if (_end - _start >= MaxHeadBytes)
            {
                throw new IOException("The Runtime API sent an HTTP response head larger than 64 KiB.");
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }

        return ParseHead(headLength);
    }

    /// <summary>Looks up a header of the last response head. Valid only before <see cref="ReadBodyAsync"/>.</summary>
    public bool TryGetHeader(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> lines = _buffer.AsSpan(_headStart, _headEnd - _headStart);
        while (!lines.IsEmpty)
        {
            int eol = lines.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = eol < 0 ? lines : lines[..eol];
            lines = eol < 0 ? default : lines[(eol + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon > 0 && Ascii.EqualsIgnoreCase(line[..colon].Trim((byte)' '), name))
            {
                value = line[(colon + 1)..].Trim(" \t"u8);
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Reads the body of the response whose head was just read.</summary>
    public async ValueTask<byte[]> ReadBodyAsync(CancellationToken cancellationToken)
    {
        if (_noBody)
        {
            return [];
        }

        if (_chunked)
        {
            return await ReadChunkedBodyAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_contentLength >= 0)
        {
            if (_contentLength > Array.MaxLength)
            {
                throw new IOException("The Runtime API sent a body too large to buffer.");
            }

            byte[] body = _contentLength == 0 ? [] : new byte[_contentLength];
            int copied = TakeBuffered(body);
            while (copied < body.Length)
            {
                int n = await _stream.ReadAsync(body.AsMemory(copied), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw ClosedEarly();
                }

                copied += n;
            }

            return body;
        }

        // Neither length nor chunked: the body ends when the server closes (RFC 9112, section 6.3).
        KeepAlive = false;
        using var all = new PooledBufferWriter(InitialBufferSize);
        all.Write(_buffer.AsSpan(_start, _end - _start));
        _start = _end = 0;
        while (true)
        {
            int n = await _stream.ReadAsync(all.GetMemory(InitialBufferSize), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return all.ToArray();
            }

            all.Advance(n);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stream.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private static IOException ClosedEarly() =>
        new("The Runtime API closed the connection before the HTTP response was complete.");

    private static IOException Malformed(string what) =>
        new($"Malformed HTTP response from the Runtime API: {what}.");

    private int FindHeadLength()
    {
        int i = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
        return i < 0 ? -1 : i + 4;
    }

    private int ParseHead(int headLength)
    {
        ReadOnlySpan<byte> head = _buffer.AsSpan(_start, headLength);
        int eol = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> statusLine = head[..eol];

        // "HTTP/1.1 202 Accepted"
        if (!statusLine.StartsWith("HTTP/1."u8) || statusLine.Length < 12 || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out int consumed) || consumed != 3)
        {
            throw Malformed("bad status line");
        }

        _headStart = _start + eol + 2;
        _headEnd = _start + headLength - 2;
        _start += headLength;

        KeepAlive = statusLine[7] == (byte)'1'; // HTTP/1.0 closes by default
        if (TryGetHeader("Connection"u8, out ReadOnlySpan<byte> connection))
        {
            KeepAlive = !Ascii.EqualsIgnoreCase(connection, "close"u8) && (KeepAlive || Ascii.EqualsIgnoreCase(connection, "keep-alive"u8));
        }

        _chunked = TryGetHeader("Transfer-Encoding"u8, out ReadOnlySpan<byte> te)
            && te.Length >= 7 && Ascii.EqualsIgnoreCase(te[^7..], "chunked"u8);
        _contentLength = -1;
        if (!_chunked && TryGetHeader("Content-Length"u8, out ReadOnlySpan<byte> cl))
        {
            if (!Utf8Parser.TryParse(cl, out long length, out int used) || used != cl.Length || length < 0)
            {
                throw Malformed("bad Content-Length");
            }

            _contentLength = length;
        }

        _noBody = status is 204 or 304 or (>= 100 and < 200);
        return status;
    }

    private async ValueTask<byte[]> ReadChunkedBodyAsync(CancellationToken cancellationToken)
    {
        using var body = new PooledBufferWriter(InitialBufferSize);
        while (true)
        {
            int lineLength = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            long size = ParseChunkSize(_buffer.AsSpan(_start, lineLength));
            _start += lineLength + 2;
            if (size == 0)
            {
                break;
            }

            if (size > Array.MaxLength - body.WrittenCount)
            {
                throw Malformed("chunk too large");
            }

            long remaining = size;
            while (remaining > 0)
            {
                if (_start == _end)
                {
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                }

                int take = (int)Math.Min(remaining, _end - _start);
                body.Write(_buffer.AsSpan(_start, take));
                _start += take;
                remaining -= take;
            }

            if (await ReadLineAsync(cancellationToken).ConfigureAwait(false) != 0)
            {
                throw Malformed("chunk data not followed by CRLF");
            }

            _start += 2;
        }

        // Trailer section: lines until an empty one.
        int trailerLength;
        while ((trailerLength = await ReadLineAsync(cancellationToken).ConfigureAwait(false)) != 0)
        {
            _start += trailerLength + 2;
        }

        _start += 2;
        return body.ToArray();
    }

    private static long ParseChunkSize(ReadOnlySpan<byte> line)
    {
        int semicolon = line.IndexOf((byte)';'); // chunk extensions are ignored
        if (semicolon >= 0)
        {
            line = line[..semicolon];
        }

        line = line.Trim(" \t"u8);
        if (line.IsEmpty || line.Length > 15
            || !Utf8Parser.TryParse(line, out ulong size, out int used, 'x') || used != line.Length)
        {
            throw Malformed("bad chunk size");
        }

        return (long)size;
    }

    /// <summary>Ensures a full CRLF-terminated line is buffered at <c>_start</c>; returns its length without the CRLF.</summary>
    private async ValueTask<int> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int eol = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (eol >= 0)
            {
                return eol;
            }

            if (_end - _start >= MaxHeadBytes)
            {
                throw Malformed("line too long");
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private int TakeBuffered(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    /// <summary>Reads more bytes into the buffer, compacting or growing it first when needed.</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        int unread = _end - _start;
        if (_start > 0 && (unread == 0 || _buffer.Length - _end < InitialBufferSize / 2))
        {
            _buffer.AsSpan(_start, unread).CopyTo(_buffer);
            _start = 0;
            _end = unread;
        }

        if (_end == _buffer.Length)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        int n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            throw ClosedEarly();
        }

        ReceivedResponseBytes = true;
        _end += n;
    }
}
