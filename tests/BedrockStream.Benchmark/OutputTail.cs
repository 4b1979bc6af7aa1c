namespace BedrockStream.Benchmark;

/// <summary>The last lines a process (or a local host) wrote, kept to explain a failure; thread-safe.</summary>
internal sealed class OutputTail(int capacity = 40)
{
    private readonly Queue<string> _lines = new();

    public void Add(string? line)
    {
        if (line is null) return;
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    public override string ToString()
    {
        lock (_lines) return _lines.Count == 0 ? "(no output)" : string.Join("\n", _lines);
    }
}
