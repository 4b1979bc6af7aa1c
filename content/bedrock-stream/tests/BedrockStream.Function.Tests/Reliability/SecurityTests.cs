using System.Globalization;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Local;
using BedrockStream.Function.Tests.EndToEnd;

namespace BedrockStream.Function.Tests.Reliability;

/// <summary>
/// Security defaults that a log or a socket table can prove (issue 5, point 4): no prompt or answer text in
/// the logs unless <c>LOG_CONTENT=true</c>, no secret key or session token in any log line, and a local host
/// that listens on 127.0.0.1 only.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class SecurityTests(ReliabilityHost fixture)
{
    private static readonly TimeSpan Wait = ReliabilityHost.Wait;

    [Fact]
    public async Task Without_LOG_CONTENT_no_prompt_or_answer_text_reaches_any_log_line()
    {
        fixture.ResetModel();
        var marker = "zq" + Guid.NewGuid().ToString("N")[..12];

        // Every path that handles the prompt: JSON, text/plain, GET ?prompt=, a history turn, a mid-stream failure, a rejected request.
        var ids = new List<string>();
        ids.Add((await PostAsync(new { prompt = $"#tokens:12 tell me about {marker}" }, 200)).RequestId);
        ids.Add((await SendAsync(new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl) { Content = new StringContent($"#tokens:12 plain {marker}", Encoding.UTF8, "text/plain") }, 200)).RequestId);
        ids.Add((await SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Host.FunctionUrl, "?prompt=" + Uri.EscapeDataString($"#tokens:12 get {marker}"))), 200)).RequestId);
        ids.Add((await PostAsync(new { messages = new[] { new { role = "user", content = $"earlier {marker}" }, new { role = "assistant", content = $"reply {marker}" } }, prompt = "#tokens:12 and now?" }, 200)).RequestId);
        ids.Add((await PostAsync(new { prompt = $"#fault:stream-throttling@4 #tokens:12 {marker}" }, 200)).RequestId);
        ids.Add((await PostAsync(new { messages = new[] { new { role = "system", content = marker } }, prompt = marker }, 400)).RequestId);
        var answers = fixture.Model.Requests.Select(r => r.AnswerText).Where(a => a.Length > 0).ToList();
        Assert.Equal(5, answers.Count);

        foreach (var id in ids)
        {
            var line = await fixture.Log.WaitForInvocationLineAsync(id, Wait);
            using var doc = JsonDocument.Parse(line["[function] ".Length..]);
            Assert.False(doc.RootElement.TryGetProperty("prompt", out _), "the log line has a prompt: " + line);
            Assert.False(doc.RootElement.TryGetProperty("answer", out _), "the log line has an answer: " + line);
        }
        var lines = fixture.Log.Lines;
        AssertNoLineContains(lines, marker, "the prompt's marker word");
        AssertNoLineContains(lines, "Fake answer to", "answer text");   // every fake answer starts so
        foreach (var answer in answers)
            AssertNoLineContains(lines, answer, "an answer");
    }

    [Fact]
    public async Task With_LOG_CONTENT_true_the_invocation_line_carries_the_prompt_and_the_answer()
    {
        var log = new LogCapture();
        await using var host = await ReliabilityHost.StartAsync(log, o => o.Environment["LOG_CONTENT"] = "true");
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var prompt = $"#tokens:12 tell me about zq{Guid.NewGuid():N}";

        var response = await StreamedResponse.PostJsonAsync(http, host.FunctionUrl, new { prompt }, Wait);

        Assert.Equal(200, response.Status);
        var line = await log.WaitForInvocationLineAsync(response.RequestId, Wait);
        using var doc = JsonDocument.Parse(line["[function] ".Length..]);
        Assert.Equal(prompt, doc.RootElement.GetProperty("prompt").GetString());
        Assert.Equal(host.FakeModel!.Requests.Single().AnswerText, doc.RootElement.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task The_secret_access_key_and_session_token_never_appear_in_a_log_line()
    {
        // Successes and failures on the shared host (errors carry Bedrock's messages into the log) ...
        fixture.ResetModel();
        await PostAsync(new { prompt = "#tokens:5 hello" }, 200);
        await PostAsync(new { prompt = "#fault:access-denied hello" }, 502);
        await PostAsync(new { prompt = "#fault:stream-model-error@2 #tokens:5 hello" }, 200);
        await PostAsync(new { prompt = "#fault:validation hello" }, 502);

        // ... and a function whose signature Bedrock rejects (InvalidSignatureException: the path most likely to echo signing material).
        var log = new LogCapture();
        const string wrongSecret = "wrongSecretKeyOfTheFunction/0123456789abcdefg";
        string rejectedId;
        FakeModel model;
        await using (var host = await ReliabilityHost.StartAsync(log, o => o.Environment["AWS_SECRET_ACCESS_KEY"] = wrongSecret))
        {
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var rejected = await StreamedResponse.PostJsonAsync(http, host.FunctionUrl, new { prompt = "hello" }, Wait);
            Assert.Equal(502, rejected.Status);
            model = host.FakeModel!;
            Assert.NotNull(model.Requests.Single().SignatureError);
            rejectedId = rejected.RequestId;
            Assert.Contains("InvalidSignature", await log.WaitForInvocationLineAsync(rejectedId, Wait), StringComparison.Ordinal);
        }

        var lines = fixture.Log.Lines.Concat(log.Lines).ToList();
        Assert.True(lines.Count(l => l.StartsWith("[function] {", StringComparison.Ordinal)) >= 5, "too few invocation lines captured to prove anything");
        foreach (var secret in new[] { fixture.Model.SecretAccessKey, fixture.Model.SessionToken, model.SecretAccessKey, wrongSecret })
            AssertNoLineContains(lines, secret, "a secret");
    }

    [Fact]
    public void The_local_host_listens_on_127_0_0_1_only_and_the_function_listens_nowhere()
    {
        var host = fixture.Host;
        var ports = new[] { host.FunctionUrl.Port, host.RuntimeApiEndpoint.Port, host.FakeModelEndpoint!.Port };
        var listening = ListeningSockets();

        foreach (var port in ports)
        {
            var sockets = listening.Where(s => s.Port == port).ToList();
            Assert.True(sockets.Count > 0, $"nothing listens on port {port}");
            // 0100007F is 127.0.0.1 in /proc/net/tcp's byte order; 0.0.0.0, :: or ::ffff:0.0.0.0 would be every interface.
            Assert.All(sockets, s => Assert.True(s.Table == "tcp" && s.Address == "0100007F", $"port {port} listens on {s.Table} {s.Address}"));
        }

        // The function is a client only: none of its sockets is a listening one.
        var inodes = SocketInodes(fixture.FunctionPid);
        Assert.NotEmpty(inodes);   // it holds its Runtime API connection at least
        Assert.DoesNotContain(listening, s => inodes.Contains(s.Inode));
    }

    private static void AssertNoLineContains(IEnumerable<string> lines, string text, string what)
    {
        var leak = lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
        Assert.True(leak is null, $"{what} was logged: {leak}");
    }

    private sealed record ListeningSocket(string Table, string Address, int Port, string Inode);

    /// <summary>Every LISTEN entry (state 0A) of /proc/net/tcp and /proc/net/tcp6.</summary>
    private static List<ListeningSocket> ListeningSockets()
    {
        var result = new List<ListeningSocket>();
        foreach (var table in new[] { "tcp", "tcp6" })
        {
            var path = "/proc/net/" + table;
            if (!File.Exists(path)) continue;
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || f[3] != "0A") continue;
                var local = f[1].Split(':');
                result.Add(new ListeningSocket(table, local[0], int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), f[9]));
            }
        }
        return result;
    }

    /// <summary>The inodes of a process's sockets (its /proc/&lt;pid&gt;/fd links read <c>socket:[inode]</c>).</summary>
    private static HashSet<string> SocketInodes(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (IOException) { continue; }   // closed while listing
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
        }
        return inodes;
    }

    private Task<StreamedResponse> PostAsync(object body, int status) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl) { Content = StreamedResponse.JsonContent(body) }, status);

    private async Task<StreamedResponse> SendAsync(HttpRequestMessage request, int status)
    {
        var response = await StreamedResponse.SendAsync(fixture.Http, request, Wait);
        Assert.True(status == response.Status, $"expected {status}, got {response.Status}: {response.Text}");
        return response;
    }
}
