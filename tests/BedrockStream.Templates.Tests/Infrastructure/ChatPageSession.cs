using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>
/// What the chat page's browser tests share, made once for the class: one generated project (Claude with reasoning
/// and the example tool, so that answers reason and tool calls run as they would on Bedrock), its local host built and
/// running, and Debian's Chromium driven by Playwright. Each test opens its own page (a fresh browser context) and sets the fake model as it needs.
/// </summary>
public sealed class ChatPageSession : IAsyncLifetime
{
    /// <summary>Long enough for a function's cold first answer and the retries of a throttled call on a slow machine.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(45);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly SemaphoreSlim _otherHostsGate = new(1, 1);
    private IPlaywright? _playwright;
    private readonly Dictionary<string, LocalHostProcess> _otherHosts = [];

    public GeneratedProject Project { get; private set; } = null!;

    /// <summary>The host as generated (<c>--format sse</c>).</summary>
    public LocalHostProcess Host { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: the test output folder.</summary>
    public static string ScreenshotFolder => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        var chromium = ChromiumExecutable
            // CI installs Debian's chromium (.ci/run); elsewhere, say how to get it rather than pass silently.
            ?? throw new InvalidOperationException("Chromium is not installed: run `apt-get install chromium` (bash .ci/run does) or set CHROMIUM_PATH.");

        var pack = await TemplatePackage.Shared;
        Project = new GeneratedProject(
            await pack.CreateAsync("Chat", "--model", "us.anthropic.claude-sonnet-4-6", "--reasoning", "low", "--tools", "true", "--tests", "false", "--ci", "none"), "Chat");
        (await Dotnet.RunAsync(["build", "local/Chat.Local/Chat.Local.csproj"], Project.Directory, TimeSpan.FromMinutes(6))).EnsureSuccess();
        Host = await LocalHostProcess.StartAsync(Project, "net10.0", ["--token-rate", "50"]);

        // Playwright's driver (Node.js and its package) comes inside the NuGet package; the browser is the system's, so
        // nothing is downloaded, now or by an install script.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // No GPU and nothing in the background that would reach for the network.
            Args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        SetDefaultExpectTimeout(10_000);

        // The function's first answer is its slowest (JIT, first connections): take it here, as the page asks, not in a
        // test's timings.
        await SetFakeModelAsync(Host, tokenRate: 0);
        using var warmUp = await _http.PostAsync(Host.FunctionUrl, JsonContent.Create(new { messages = new[] { new { role = "user", content = "#tokens:2 warm up" } } }));
        await warmUp.Content.ReadAsStringAsync();
        Assert.True(warmUp.IsSuccessStatusCode, $"the warm-up answer failed with {(int)warmUp.StatusCode}:\n{Host.Output}");
    }

    /// <summary>Debian's Chromium (or <c>CHROMIUM_PATH</c>), or null when none is installed.</summary>
    public static string? ChromiumExecutable =>
        new[] { Environment.GetEnvironmentVariable("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    /// <summary>A second host of the same project whose function answers in <c>--format text</c> (started on first use).</summary>
    public Task<LocalHostProcess> TextHostAsync() => OtherHostAsync(Project, "--env", "RESPONSE_FORMAT=text");

    /// <summary>
    /// A second host of the same project that plays another front (started on first use): <c>rest-api</c> with an API
    /// key, or <c>cloudfront</c>.
    /// </summary>
    public Task<LocalHostProcess> FrontHostAsync(string front) =>
        front == "rest-api" ? OtherHostAsync(Project, "--front", front, "--api-key", "chat-page-test-key") : OtherHostAsync(Project, "--front", front);

    /// <summary>The host of a <c>--format openai</c> project (<see cref="OpenAiProject"/>; generated and started on first use).</summary>
    public async Task<LocalHostProcess> OpenAiHostAsync() => await OtherHostAsync(await OpenAiProject.Shared);

    private async Task<LocalHostProcess> OtherHostAsync(GeneratedProject project, params string[] options)
    {
        var key = project.Name + " " + string.Join(' ', options);
        await _otherHostsGate.WaitAsync();
        try
        {
            if (!_otherHosts.TryGetValue(key, out var host))
                _otherHosts[key] = host = await LocalHostProcess.StartAsync(project, "net10.0", ["--token-rate", "50", .. options]);
            return host;
        }
        finally
        {
            _otherHostsGate.Release();
        }
    }

    /// <summary>Sets the fake model through the host's local endpoint (what the page's settings strip calls).</summary>
    public async Task SetFakeModelAsync(LocalHostProcess host, double tokenRate, string fault = "", string scope = "next")
    {
        using var response = await _http.PostAsync(new Uri(host.FunctionUrl, "/_local/fake-model"), JsonContent.Create(new { tokenRate, fault, scope }));
        Assert.True(response.IsSuccessStatusCode, $"setting the fake model failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Opens the chat page of <paramref name="host"/> in a fresh context and waits until it knows the host.</summary>
    public async Task<ChatPageDriver> OpenAsync(LocalHostProcess host)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        var page = await context.NewPageAsync();
        var driver = new ChatPageDriver(page, host);
        await page.GotoAsync(host.FunctionUrl.ToString());
        await Expect(page.Locator("#host-info")).ToContainTextAsync("format");
        return driver;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        foreach (var host in _otherHosts.Values) await host.DisposeAsync();
        if (Host is not null) await Host.DisposeAsync();
        _http.Dispose();
    }
}

/// <summary>One open chat page: asks, finds turns, watches what the page sent and logged. Disposing it closes the page.</summary>
public sealed partial class ChatPageDriver : IAsyncDisposable
{
    private readonly List<string> _requests = [];
    private readonly List<string> _console = [];
    private readonly LocalHostProcess _host;

    public ChatPageDriver(IPage page, LocalHostProcess host)
    {
        Page = page;
        _host = host;
        FunctionUrl = host.FunctionUrl;
        page.Request += (_, request) => { lock (_requests) _requests.Add(request.Url); };
        page.Console += (_, message) => { lock (_console) _console.Add($"{message.Type}: {message.Text}"); };
        page.PageError += (_, error) => { lock (_console) _console.Add("pageerror: " + error); };
    }

    public IPage Page { get; }

    public Uri FunctionUrl { get; }

    public ILocator Turns => Page.Locator("#conversation .turn");

    public ILocator LastTurn => Turns.Last;

    /// <summary>Every URL the page requested, the page itself included.</summary>
    public IReadOnlyList<string> Requests { get { lock (_requests) return _requests.ToList(); } }

    /// <summary>What the page logged to its console, and its uncaught errors.</summary>
    public IReadOnlyList<string> Console { get { lock (_console) return _console.ToList(); } }

    /// <summary>Types <paramref name="question"/> into the box and presses Enter.</summary>
    public async Task AskAsync(string question)
    {
        await Page.Locator("#prompt").FillAsync(question);
        await Page.Locator("#prompt").PressAsync("Enter");
    }

    /// <summary>Asks and returns the body of the request the page sent to the function (a JSON object).</summary>
    public async Task<JsonObject> AskAndCaptureAsync(string question)
    {
        var request = await Page.RunAndWaitForRequestAsync(() => AskAsync(question), IsFunctionCall);
        return JsonNode.Parse(request.PostData!)!.AsObject();
    }

    public bool IsFunctionCall(IRequest request) => request.Method == "POST" && request.Url == FunctionUrl.ToString();

    /// <summary>Waits until the JavaScript <paramref name="condition"/> holds in the page; fails with what the page and the host show if it never does.</summary>
    public async Task WaitForAsync(string condition, string what)
    {
        try
        {
            await Page.WaitForFunctionAsync(condition, null, new() { Timeout = (float)ChatPageSession.AnswerTimeout.TotalMilliseconds });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the page never showed {what}:\n{await Page.Locator("#conversation").InnerTextAsync()}\n--- host ---\n{Tail(_host.Output)}");
        }
    }

    /// <summary>Waits until <paramref name="turn"/> is finished (done, failed or stopped) and returns how it ended.</summary>
    public async Task<string> WaitForEndAsync(ILocator turn, TimeSpan? timeout = null)
    {
        await Expect(turn).ToHaveAttributeAsync("data-state", Finished(), new() { Timeout = (float)(timeout ?? ChatPageSession.AnswerTimeout).TotalMilliseconds });
        return (await turn.GetAttributeAsync("data-state"))!;
    }

    /// <summary>Waits for the end of <paramref name="turn"/> and fails, with what the page shows, unless it is <paramref name="expected"/>.</summary>
    public async Task ExpectEndAsync(ILocator turn, string expected)
    {
        var state = await WaitForEndAsync(turn);
        Assert.True(state == expected, $"the turn ended '{state}', not '{expected}':\n{await turn.InnerTextAsync()}\n--- host ---\n{Tail(_host.Output)}");
    }

    /// <summary>The answer's rendered text (all its text parts).</summary>
    public async Task<string> AnswerTextAsync(ILocator turn) =>
        string.Join("\n\n", await turn.Locator(".assistant .markdown").AllInnerTextsAsync());

    /// <summary>A full-page screenshot in the test output folder; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ChatPageSession.ScreenshotFolder);
        var path = Path.Combine(ChatPageSession.ScreenshotFolder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Fails if the page asked anything of another origin than the host's, or logged an error.</summary>
    public void AssertOnlyLocalRequestsAndNoErrors()
    {
        var origin = FunctionUrl.GetLeftPart(UriPartial.Authority);
        var foreign = Requests.Where(url => !url.StartsWith(origin + "/", StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal)).ToList();
        Assert.True(foreign.Count == 0, "the page requested another origin: " + string.Join(", ", foreign));
        // An HTTP error status shows in the console as a failed resource: that is the function's answer, not the page's fault.
        var errors = Console.Where(line => (line.StartsWith("error:", StringComparison.Ordinal) || line.StartsWith("pageerror:", StringComparison.Ordinal))
                                           && !line.Contains("Failed to load resource", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "the page logged errors:\n" + string.Join("\n", errors));
    }

    public async ValueTask DisposeAsync() => await Page.Context.CloseAsync();

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];

    [GeneratedRegex("^(done|failed|stopped)$")]
    private static partial Regex Finished();
}
