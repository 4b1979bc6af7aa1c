using System.Globalization;
using BedrockStream.Function.Local;
using BedrockStream.Function.Tests.EndToEnd;

namespace BedrockStream.Function.Tests.Reliability;

/// <summary>
/// The local host with the real function process, set up for fault injection: a short function timeout (so
/// a stalled model and a deadline-bounded retry cost seconds, not minutes), small request and token limits,
/// no content logging, and every log line (host and <c>[function]</c>) kept for the security tests.
/// </summary>
public sealed class ReliabilityHost : IAsyncLifetime
{
    public const int MaxRequestBytes = 2048;
    public const int MaxTokens = 256;
    public const int DeadlineMarginMs = 500;
    public static readonly TimeSpan FunctionTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Bounds every wait of these tests; generous, because nothing should come near it.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly LogCapture _log = new();

    public LocalHost Host { get; private set; } = null!;

    public FakeModel Model => Host.FakeModel!;

    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Every line the host and the function logged since start.</summary>
    public LogCapture Log => _log;

    public string RecentLog => _log.Recent(30);

    /// <summary>The pid of the function process serving now (fails the test if none runs).</summary>
    public int FunctionPid => Host.FunctionProcessId ?? throw new Xunit.Sdk.XunitException("No function process is running." + Environment.NewLine + RecentLog);

    public async Task InitializeAsync()
    {
        Host = await StartAsync(_log, options =>
        {
            options.FunctionTimeout = FunctionTimeout;
            options.Environment["DEADLINE_MARGIN_MS"] = DeadlineMarginMs.ToString(CultureInfo.InvariantCulture);
            options.Environment["MAX_REQUEST_BYTES"] = MaxRequestBytes.ToString(CultureInfo.InvariantCulture);
            options.Environment["MAX_TOKENS"] = MaxTokens.ToString(CultureInfo.InvariantCulture);
            options.Environment["LOG_CONTENT"] = "false";
        });

        // Warm (JIT) before anything is timed against the short deadline.
        var warmUp = await StreamedResponse.PostJsonAsync(Http, Host.FunctionUrl, new { prompt = "#tokens:2 warm up" }, Wait);
        if (warmUp.Status != 200)
            throw new InvalidOperationException($"The warm-up invocation failed with {warmUp.Status}:{Environment.NewLine}{RecentLog}");
    }

    /// <summary>Each test starts from a clean fake model: no faults pending, no recorded requests, full speed.</summary>
    public void ResetModel(double tokenRate = 0)
    {
        Model.Reset();
        Model.TokenRate = tokenRate;
    }

    /// <summary>A host with the fake model and the function this test project built, logging into <paramref name="log"/>.</summary>
    public static Task<LocalHost> StartAsync(LogCapture log, Action<LocalHostOptions> configure)
    {
        var options = TestFunction.HostOptions(log.Add);
        configure(options);
        return LocalHost.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (Host is not null) await Host.DisposeAsync();
    }
}

/// <summary>The log lines of a host (its own and the function's, prefixed <c>[function]</c>), with a signal for a line to come.</summary>
public sealed class LogCapture
{
    private const int Capacity = 20_000;
    private readonly object _gate = new();
    private readonly Queue<string> _lines = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Signal)> _waiters = new();

    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) return _lines.ToArray(); }
    }

    public string Recent(int count) => string.Join(Environment.NewLine, Lines.TakeLast(count));

    public void Add(string line)
    {
        List<TaskCompletionSource<string>>? matched = null;
        lock (_gate)
        {
            _lines.Enqueue(line);
            if (_lines.Count > Capacity) _lines.Dequeue();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(line)) continue;
                (matched ??= new()).Add(_waiters[i].Signal);
                _waiters.RemoveAt(i);
            }
        }
        if (matched is not null) foreach (var s in matched) s.TrySetResult(line);
    }

    /// <summary>The first line (logged already, or still to come) that matches; <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var signal = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var line in _lines)
                if (match(line)) return line;
            _waiters.Add((match, signal));
        }
        try
        {
            return await signal.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            lock (_gate) _waiters.RemoveAll(w => w.Signal == signal);
            throw new TimeoutException($"No matching log line within {timeout.TotalSeconds:0} s. Last lines:{Environment.NewLine}{Recent(20)}");
        }
    }

    /// <summary>The function's JSON log line of one invocation.</summary>
    public Task<string> WaitForInvocationLineAsync(string requestId, TimeSpan timeout) =>
        WaitForAsync(l => l.StartsWith("[function] {", StringComparison.Ordinal) && l.Contains($"\"requestId\":\"{requestId}\"", StringComparison.Ordinal), timeout);
}

/// <summary>
/// The reliability tests share one host and run alone (after the parallel collections): they inject faults,
/// restart processes and measure a soak, and must neither disturb nor be disturbed by the timing tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection : ICollectionFixture<ReliabilityHost>
{
    public const string Name = "Reliability";
}
