using System.Buffers;
using System.Text;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over <see cref="ArrayPool{T}.Shared"/>, so SSE events, log lines, request heads,
/// preludes and error trailers are assembled without a fresh array each time. Dispose returns the array to the pool.
/// </summary>
public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;
    private bool _disposed;

    public PooledBufferWriter(int initialCapacity = 256) =>
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>Forgets what was written and keeps the array, for the next frame.</summary>
    public void Clear() => _written = 0;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _buffer.Length)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    /// <summary>Writes text that the protocol requires to be ASCII (paths, host, header names).</summary>
    public void WriteAscii(string text)
    {
        Span<byte> span = GetSpan(text.Length);
        int n = Encoding.ASCII.GetBytes(text, span);
        _written += n;
    }

    /// <summary>
    /// Writes a header (or trailer) value. HTTP/1.1 field values are visible ASCII; a CR or LF taken from an
    /// exception type or message would end the field early and corrupt the framing, so anything outside
    /// 0x20..0x7E is replaced with '?'.
    /// </summary>
    public void WriteHeaderValue(string value)
    {
        Span<byte> span = GetSpan(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            span[i] = c is >= ' ' and <= '~' ? (byte)c : (byte)'?';
        }

        _written += value.Length;
    }

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        int newSize = Math.Max(_buffer.Length * 2, _written + sizeHint);
        byte[] bigger = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
