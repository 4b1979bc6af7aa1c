using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BedrockStream.Templates.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// The generated local host's chat page in a real browser (Debian's Chromium, driven by Playwright): a conversation
/// as the function receives it, the answer as it streams, reasoning, tools, Stop, errors, Markdown kept inert.
/// </summary>
[Collection(BuildCollection.Name)]
public class ChatPageBrowserTests(ChatPageSession session, ITestOutputHelper output) : IClassFixture<ChatPageSession>
{
    private LocalHostProcess Host => session.Host;

    [Fact]
    public async Task A_follow_up_question_is_sent_with_the_first_turn_and_new_chat_forgets_it()
    {
        await session.SetFakeModelAsync(Host, tokenRate: 40);
        await using var chat = await session.OpenAsync(Host);

        var first = await chat.AskAndCaptureAsync("Tell me about lighthouses");
        Assert.Equal("""[{"role":"user","content":"Tell me about lighthouses"}]""", first["messages"]!.ToJsonString());
        await chat.ExpectEndAsync(chat.Turns.Nth(0), "done");
        var firstAnswer = await chat.AnswerTextAsync(chat.Turns.Nth(0));
        Assert.StartsWith("Fake answer to 4 words: Tell me about lighthouses", firstAnswer);

        // Shift+Enter is a new line, not a question.
        await chat.Page.Locator("#prompt").FillAsync("And who kept them,");
        await chat.Page.Locator("#prompt").PressAsync("Shift+Enter");
        await chat.Page.Locator("#prompt").PressSequentiallyAsync("night after night?");
        Assert.Equal("And who kept them,\nnight after night?", await chat.Page.Locator("#prompt").InputValueAsync());
        await Expect(chat.Turns).ToHaveCountAsync(1);

        var request = await chat.Page.RunAndWaitForRequestAsync(() => chat.Page.Locator("#prompt").PressAsync("Enter"), chat.IsFunctionCall);
        var messages = JsonNode.Parse(request.PostData!)!["messages"]!.AsArray();
        Assert.Equal(3, messages.Count);
        Assert.Equal(("user", "Tell me about lighthouses"), Message(messages[0]));
        Assert.Equal("assistant", Message(messages[1]).Role);
        Assert.Equal(firstAnswer, Message(messages[1]).Content);
        Assert.Equal(("user", "And who kept them,\nnight after night?"), Message(messages[2]));
        Assert.Equal("", await chat.Page.Locator("#prompt").InputValueAsync());
        await chat.ExpectEndAsync(chat.Turns.Nth(1), "done");
        Assert.StartsWith("Fake answer to 7 words: And who kept them, night after night?", await chat.AnswerTextAsync(chat.Turns.Nth(1)));
        Assert.Equal(["Tell me about lighthouses", "And who kept them,\nnight after night?"], await chat.Page.Locator(".turn .user").AllInnerTextsAsync());

        output.WriteLine("screenshot: " + await chat.ScreenshotAsync("chat-two-turns"));

        await chat.Page.Locator("#new-chat").ClickAsync();
        await Expect(chat.Turns).ToHaveCountAsync(0);
        var fresh = await chat.AskAndCaptureAsync("Hello again");
        Assert.Equal("""[{"role":"user","content":"Hello again"}]""", fresh["messages"]!.ToJsonString());
        await chat.ExpectEndAsync(chat.LastTurn, "done");
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task The_answer_grows_in_several_steps_and_the_figures_count_live()
    {
        await session.SetFakeModelAsync(Host, tokenRate: 20);
        await using var chat = await session.OpenAsync(Host);
        // Every change of the answer's text, with the page's clock: the growth as a reader sees it.
        await chat.Page.EvaluateAsync("""
            () => {
              window.growth = [];
              new MutationObserver(() => {
                const answer = document.querySelector("#conversation .turn:last-child .markdown");
                const length = answer ? answer.textContent.length : 0;
                if (!growth.length || growth[growth.length - 1].length !== length) growth.push({ at: performance.now(), length });
              }).observe(document.querySelector("#conversation"), { subtree: true, childList: true, characterData: true });
            }
            """);

        await chat.AskAsync("#tokens:30 Tell me about the sea");

        // While it streams, the figures are already there: a first-token time, a rate and a timeline that fills.
        await chat.WaitForAsync("""
            () => {
              const turn = document.querySelector("#conversation .turn:last-child");
              return turn.dataset.state === "streaming"
                && /^\d+ ms$/.test(turn.querySelector("[data-figure=ttft] b")?.textContent ?? "")
                && /\d/.test(turn.querySelector("[data-figure=rate] b")?.textContent ?? "")
                && turn.querySelectorAll(".timeline .tick").length >= 3;
            }
            """, "the figures while the answer streams");
        await chat.ExpectEndAsync(chat.LastTurn, "done");

        var growth = (await chat.Page.EvaluateAsync<JsonElement>("() => growth")).EnumerateArray()
            .Select(g => (At: g.GetProperty("at").GetDouble(), Length: g.GetProperty("length").GetInt32())).Where(g => g.Length > 0).ToList();
        var steps = string.Join(", ", growth.Select(g => $"{g.At:0} ms: {g.Length}"));
        Assert.True(growth.Count >= 10, $"the answer appeared in {growth.Count} steps: {steps}");
        Assert.True(growth[^1].At - growth[0].At >= 700, $"the answer did not grow over time (30 tokens at 20/s): {steps}");

        var figures = chat.LastTurn.Locator(".figures");
        await Expect(figures.Locator("[data-figure=ttft] b")).ToHaveTextAsync(new Regex(@"^\d+ ms$"));
        await Expect(figures.Locator("[data-figure=rate] b")).ToHaveTextAsync(new Regex(@"^\d+\.\d$"));
        await Expect(figures.Locator("[data-figure=duration] b")).ToHaveTextAsync(new Regex(@"^\d+\.\d+ s$"));
        var tokens = Regex.Match(await figures.Locator("[data-figure=tokens] b").InnerTextAsync(), @"^\d+ / (\d+)$");
        Assert.True(tokens.Success && int.Parse(tokens.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 30, "output tokens: " + tokens.Value);   // the answer's 30, and the reasoning's
        await Expect(figures.Locator("[data-figure=cache] b")).ToHaveTextAsync(new Regex(@"^\d+ / \d+$"));
        await Expect(figures.Locator("[data-figure=stop] b")).ToHaveTextAsync("end_turn");
        var rate = double.Parse(await figures.Locator("[data-figure=rate] b").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rate, 5, 60);   // 20 tokens/s, measured in a browser on a busy machine

        // The timeline: one tick per network read, left to right in arrival order, the last one the done event.
        var ticks = (await chat.LastTurn.Locator(".timeline .tick").EvaluateAllAsync<JsonElement>("ticks => ticks.map(t => ({ left: parseFloat(t.style.left), kind: t.className }))"))
            .EnumerateArray().Select(t => (Left: t.GetProperty("left").GetDouble(), Kind: t.GetProperty("kind").GetString()!)).ToArray();
        Assert.True(ticks.Length >= 10, $"{ticks.Length} ticks");
        Assert.Equal(ticks.Select(t => t.Left).Order(), ticks.Select(t => t.Left));
        Assert.Contains("done", ticks[^1].Kind);
        Assert.Equal(ticks.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), await figures.Locator("[data-figure=chunks] b").InnerTextAsync());
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task Reasoning_fills_a_panel_while_the_model_thinks_and_a_tool_call_shows_as_a_card()
    {
        await session.SetFakeModelAsync(Host, tokenRate: 25);
        await using var chat = await session.OpenAsync(Host);

        await chat.AskAsync("""#reason:25 #tool:current_time{"timeZone":"Europe/Paris"} What time is it in Paris?""");

        // Thinking: an open panel that fills, and no answer yet.
        await chat.WaitForAsync("""
            () => {
              const turn = document.querySelector("#conversation .turn:last-child");
              const panel = turn.querySelector("details.reasoning");
              return turn.dataset.state === "thinking" && panel && panel.open
                && panel.querySelector(".thoughts").textContent.length > 20 && !turn.querySelector(".markdown");
            }
            """, "an open reasoning panel filling before the answer");
        await chat.ExpectEndAsync(chat.LastTurn, "done");

        var turn = chat.LastTurn;
        var panel = turn.Locator("details.reasoning");
        await Expect(panel).ToHaveCountAsync(1);
        await Expect(panel).Not.ToHaveAttributeAsync("open", "");           // folded away once the answer began
        await Expect(panel.Locator("summary")).ToHaveTextAsync(new Regex(@"^Reasoning · \d+\.\d+ s"));
        await Expect(panel.Locator(".thoughts")).ToContainTextAsync("Let me think it through step by step");

        var card = turn.Locator(".tool-card");
        await Expect(card).ToHaveCountAsync(1);
        await Expect(card).ToHaveAttributeAsync("data-tool", "current_time");
        await Expect(card.Locator(".head")).ToContainTextAsync("current_time");
        await Expect(card.Locator(".arguments")).ToHaveTextAsync("""{"timeZone":"Europe/Paris"}""");
        var result = JsonNode.Parse(await card.Locator(".result").InnerTextAsync())!;
        Assert.Equal("Europe/Paris", (string?)result["timeZone"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$", (string?)result["time"]);

        // In the order the model produced them: reasoning, a few words, the call and its result, then the answer.
        var parts = await turn.Locator(".assistant > *").EvaluateAllAsync<string[]>("parts => parts.map(p => p.className)");
        Assert.Equal(["reasoning", "markdown", "tool-card", "markdown"], parts);
        Assert.StartsWith("The tools returned:", (await turn.Locator(".assistant > .markdown").Last.InnerTextAsync()).Trim());
        await Expect(turn.Locator("[data-figure=stop] b")).ToHaveTextAsync("end_turn");
        var kinds = await turn.Locator(".timeline .tick").EvaluateAllAsync<string[]>("ticks => ticks.map(t => t.className)");
        Assert.Contains("tick reasoning", kinds);
        Assert.Contains("tick tool", kinds);

        output.WriteLine("screenshot: " + await chat.ScreenshotAsync("chat-reasoning-and-tool"));
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task Stop_ends_the_answer_mid_stream_and_the_next_question_is_answered()
    {
        await session.SetFakeModelAsync(Host, tokenRate: 20);
        await using var chat = await session.OpenAsync(Host);

        await chat.AskAsync("#tokens:400 Tell me a very long story");
        var turn = chat.Turns.Nth(0);
        await chat.WaitForAsync("""() => (document.querySelector("#conversation .turn .markdown")?.textContent.length ?? 0) > 40""", "the first 40 characters of the answer");
        await Expect(chat.Page.Locator("#send")).ToBeDisabledAsync();

        // Stop aborts the request: the browser cancels it mid-body.
        var aborted = new TaskCompletionSource<IRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        chat.Page.RequestFailed += (_, request) => { if (chat.IsFunctionCall(request)) aborted.TrySetResult(request); };
        await chat.Page.Locator("#stop").ClickAsync();
        var failure = (await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10))).Failure;
        Assert.Contains("ABORTED", failure, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("stopped", await chat.WaitForEndAsync(turn));
        var stoppedAt = await chat.AnswerTextAsync(turn);
        Assert.StartsWith("Fake answer to 6 words:", stoppedAt);
        // It says what Stop does not do: the function may run on, and be billed, on Lambda.
        await Expect(turn.Locator(".note")).ToContainTextAsync("does not stop the model or the bill");
        await Expect(chat.Page.Locator("#stop")).ToBeDisabledAsync();
        await Expect(chat.Page.Locator("#send")).ToBeEnabledAsync();

        // The next question is answered as usual, with the stopped answer, as far as it came, in the conversation.
        var next = await chat.AskAndCaptureAsync("#tokens:12 Shorter, please");
        var messages = next["messages"]!.AsArray();
        Assert.Equal(3, messages.Count);
        Assert.Equal(("assistant", stoppedAt), Message(messages[1]));
        await chat.ExpectEndAsync(chat.Turns.Nth(1), "done");
        Assert.StartsWith("Fake answer to 2 words: Shorter, please", await chat.AnswerTextAsync(chat.Turns.Nth(1)));
        await Expect(chat.Turns.Nth(1).Locator(".note.error")).ToHaveCountAsync(0);
        // And the stopped answer did not grow meanwhile.
        Assert.Equal(stoppedAt, await chat.AnswerTextAsync(turn));
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task A_failure_injected_from_the_settings_strip_mid_answer_is_shown_in_place()
    {
        await session.SetFakeModelAsync(Host, tokenRate: 0);
        await using var chat = await session.OpenAsync(Host);

        // The settings strip: a speed, and a mid-stream fault after 5 tokens, for the next model call.
        await chat.Page.Locator("#token-rate").FillAsync("40");
        await chat.Page.Locator("#token-rate").DispatchEventAsync("change");
        await Expect(chat.Page.Locator("#host-info")).ToContainTextAsync("40 tokens/s");
        await chat.Page.Locator("#fault").SelectOptionAsync("stream-internal");
        await chat.Page.Locator("#fault-after").FillAsync("5");
        await chat.Page.Locator("#fault-after").DispatchEventAsync("change");
        await Expect(chat.Page.Locator("#settings-state")).ToHaveTextAsync("the next call fails: stream-internal@5");

        await chat.AskAsync("#tokens:30 Tell me a story");
        var turn = chat.LastTurn;
        await chat.ExpectEndAsync(turn, "failed");

        // The five tokens that came stay; the error is under them, in the same turn.
        Assert.Equal("Fake answer to 4 words:", await chat.AnswerTextAsync(turn));
        var error = turn.Locator(".note.error[role=alert]");
        await Expect(error).ToContainTextAsync("The answer broke off: InternalServer");
        await Expect(error).ToContainTextAsync("temporarily unavailable");
        var kinds = await turn.Locator(".timeline .tick").EvaluateAllAsync<string[]>("ticks => ticks.map(t => t.className)");
        Assert.Equal("tick error", kinds[^1]);
        await Expect(turn.Locator("[data-figure=ttft] b")).ToHaveTextAsync(new Regex(@"^\d+ ms$"));

        // A next-call fault is used up by that call, and the strip shows it.
        await Expect(chat.Page.Locator("#settings-state")).ToHaveTextAsync("no fault");
        await Expect(chat.Page.Locator("#fault")).ToHaveValueAsync("");

        output.WriteLine("screenshot: " + await chat.ScreenshotAsync("chat-mid-stream-error"));
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task A_throttled_model_shows_429_with_its_retry_hint_and_a_client_error_shows_its_status()
    {
        await session.SetFakeModelAsync(Host, tokenRate: 100);
        await using var chat = await session.OpenAsync(Host);

        // A fault on every call outlasts the function's own retries, so the 429 reaches the page.
        await chat.Page.Locator("#fault").SelectOptionAsync("throttling");
        await chat.Page.Locator("#fault-every").CheckAsync();
        await Expect(chat.Page.Locator("#settings-state")).ToHaveTextAsync("every call fails: throttling");

        await chat.AskAsync("Hello?");
        var turn = chat.LastTurn;
        await chat.ExpectEndAsync(turn, "failed");
        var error = turn.Locator(".note.error[role=alert]");
        await Expect(error).ToContainTextAsync("HTTP 429 Throttling");
        await Expect(error).ToContainTextAsync("Retry-After: 2 s");
        var retry = error.Locator("button");
        await Expect(retry).ToHaveTextAsync(new Regex(@"^Retry( in \d s)?$"));

        // Cleared, the same question is answered on Retry, in place of the failed turn.
        await chat.Page.Locator("#fault").SelectOptionAsync("");
        await Expect(chat.Page.Locator("#settings-state")).ToHaveTextAsync("no fault");
        await Expect(retry).ToBeEnabledAsync(new() { Timeout = 10_000 });
        await Expect(retry).ToHaveTextAsync("Retry");
        await retry.ClickAsync();
        await Expect(chat.Turns).ToHaveCountAsync(1);
        await chat.ExpectEndAsync(chat.LastTurn, "done");
        Assert.StartsWith("Fake answer to 1 words: Hello?", await chat.AnswerTextAsync(chat.LastTurn));

        // A request the function refuses (over its 64 KB limit) is a 4xx with the function's message; the model is not called.
        await chat.AskAsync(new string('x', 70_000));
        await chat.ExpectEndAsync(chat.LastTurn, "failed");
        await Expect(chat.LastTurn.Locator(".note.error")).ToContainTextAsync("HTTP 413 PayloadTooLarge");
        await Expect(chat.LastTurn.Locator(".note.error")).ToContainTextAsync("larger than 65536 bytes");
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task Markdown_in_the_answer_is_rendered_and_markup_in_it_stays_text()
    {
        await session.SetFakeModelAsync(Host, tokenRate: 200);
        await using var chat = await session.OpenAsync(Host);
        // The fake model's #echo answers with the message itself: Markdown, and markup that must never run.
        const string markdown = """
            #echo ## Lighthouses
            They are **tall** and use `lenses`, see [Fresnel](https://en.wikipedia.org/wiki/Fresnel_lens).

            - first <script>window.pwned = "script";</script>
            - second <img src="x" onerror="window.pwned = 'img'">

            1. one
            2. two

            ```html
            <b>not bold</b><script>window.pwned = "code";</script>
            ```

            [a trap](javascript:window.pwned='link') and <iframe src="javascript:window.pwned='frame'"></iframe>
            """;

        await chat.AskAsync(markdown.ReplaceLineEndings("\n"));
        await chat.ExpectEndAsync(chat.LastTurn, "done");
        var answer = chat.LastTurn.Locator(".assistant .markdown");

        await Expect(answer.Locator("h4")).ToHaveTextAsync("Lighthouses");
        await Expect(answer.Locator("p strong")).ToHaveTextAsync("tall");
        await Expect(answer.Locator("p code")).ToHaveTextAsync("lenses");
        await Expect(answer.Locator("p a[href='https://en.wikipedia.org/wiki/Fresnel_lens']")).ToHaveTextAsync("Fresnel");
        await Expect(answer.Locator("ul > li")).ToHaveCountAsync(2);
        await Expect(answer.Locator("ol > li")).ToHaveTextAsync(["one", "two"]);
        await Expect(answer.Locator("pre > code")).ToHaveTextAsync("""<b>not bold</b><script>window.pwned = "code";</script>""");
        // Markup is shown as the text it is, never as elements.
        await Expect(answer.Locator("ul > li").First).ToHaveTextAsync("""first <script>window.pwned = "script";</script>""");
        await Expect(answer.Locator("ul > li").Nth(1)).ToContainTextAsync("""<img src="x" onerror=""");
        await Expect(answer).ToContainTextAsync("<iframe src=");
        await Expect(answer.Locator("script, img, iframe, b, a[href^='javascript']")).ToHaveCountAsync(0);
        await Expect(chat.LastTurn.Locator(".user script")).ToHaveCountAsync(0);
        await Expect(chat.LastTurn.Locator(".user")).ToContainTextAsync("<script>window.pwned");
        Assert.Equal("undefined", await chat.Page.EvaluateAsync<string>("() => typeof window.pwned"));

        output.WriteLine("screenshot: " + await chat.ScreenshotAsync("chat-markdown"));
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task A_text_format_function_streams_its_answer_and_its_error_line()
    {
        var host = await session.TextHostAsync();
        await session.SetFakeModelAsync(host, tokenRate: 50);
        await using var chat = await session.OpenAsync(host);
        await Expect(chat.Page.Locator("#host-info")).ToContainTextAsync("format text");

        await chat.AskAsync("#tokens:20 Tell me a story");
        await chat.ExpectEndAsync(chat.LastTurn, "done");
        Assert.StartsWith("Fake answer to 4 words: Tell me a story", await chat.AnswerTextAsync(chat.LastTurn));
        await Expect(chat.LastTurn.Locator("[data-figure=ttft] b")).ToHaveTextAsync(new Regex(@"^\d+ ms$"));
        await Expect(chat.LastTurn.Locator("[data-figure=tokens] b")).ToHaveTextAsync("not sent in the text format");

        // The text format's last line "[error] Type: message" becomes the turn's error, not part of the answer.
        await chat.AskAsync("#fault:stream-internal@5 #tokens:20 Another one");
        await chat.ExpectEndAsync(chat.LastTurn, "failed");
        Assert.Equal("Fake answer to 2 words:", await chat.AnswerTextAsync(chat.LastTurn));
        await Expect(chat.LastTurn.Locator(".note.error")).ToContainTextAsync("The answer broke off: InternalServer");
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Theory]
    [InlineData("rest-api")]
    [InlineData("cloudfront")]
    public async Task The_page_works_behind_each_front(string front)
    {
        var host = await session.FrontHostAsync(front);
        await session.SetFakeModelAsync(host, tokenRate: 50);
        await using var chat = await session.OpenAsync(host);
        await Expect(chat.Page.Locator("#host-info")).ToContainTextAsync(front == "rest-api" ? "REST API front" : "CloudFront front");

        // The front refuses a bare call before the function runs (no key; no body hash), so an answer proves the page
        // sent what the front needs.
        using (var http = new HttpClient())
        using (var bare = await http.PostAsync(host.FunctionUrl, new StringContent("""{"prompt":"hi"}""", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, bare.StatusCode);

        var request = await chat.Page.RunAndWaitForRequestAsync(() => chat.AskAsync("#tokens:10 Hello through the front"), chat.IsFunctionCall);
        await chat.ExpectEndAsync(chat.LastTurn, "done");
        Assert.StartsWith("Fake answer to 4 words: Hello through the front", await chat.AnswerTextAsync(chat.LastTurn));
        var headers = await request.AllHeadersAsync();
        if (front == "rest-api")
        {
            using var http = new HttpClient();
            var status = JsonNode.Parse(await http.GetStringAsync(new Uri(host.FunctionUrl, "/_local/status")))!;
            Assert.Equal((string?)status["apiKey"], headers.GetValueOrDefault("x-api-key"));
        }
        else
        {
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(request.PostData!)));
            Assert.Equal(hash, headers.GetValueOrDefault("x-amz-content-sha256"));
        }
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task An_openai_format_function_is_asked_at_chat_completions_and_its_chunks_stream_on_the_page()
    {
        var host = await session.OpenAiHostAsync();
        await session.SetFakeModelAsync(host, tokenRate: 20);
        await using var chat = await session.OpenAsync(host);
        await Expect(chat.Page.Locator("#host-info")).ToContainTextAsync("format openai");

        var request = await chat.Page.RunAndWaitForRequestAsync(() => chat.AskAsync("#reason:6 #tokens:30 Tell me about the sea"),
            r => r.Method == "POST" && r.Url == new Uri(host.FunctionUrl, "/v1/chat/completions").ToString());
        var body = JsonNode.Parse(request.PostData!)!;
        Assert.True((bool)body["stream"]!);
        Assert.True((bool)body["stream_options"]!["include_usage"]!);
        Assert.Equal("""[{"role":"user","content":"#reason:6 #tokens:30 Tell me about the sea"}]""", body["messages"]!.ToJsonString());

        // Streams: part of the answer is on the page while the turn is still streaming.
        await chat.WaitForAsync("""
            () => {
              const turn = document.querySelector("#conversation .turn:last-child");
              return turn.dataset.state === "streaming" && (turn.querySelector(".markdown")?.textContent.length ?? 0) > 0;
            }
            """, "part of the answer while it streams");
        await chat.ExpectEndAsync(chat.LastTurn, "done");
        Assert.StartsWith("Fake answer to 5 words: Tell me about the sea", await chat.AnswerTextAsync(chat.LastTurn));
        await Expect(chat.LastTurn.Locator("details.reasoning")).ToContainTextAsync("The user asks about");
        await Expect(chat.LastTurn.Locator("[data-figure=tokens] b")).ToHaveTextAsync(new Regex(@"^\d+ / \d+$"));
        await Expect(chat.LastTurn.Locator("[data-figure=stop] b")).ToHaveTextAsync("stop");

        // A failure after the first chunk is OpenAI's data: {"error"} event, shown in place.
        await chat.AskAsync("#fault:stream-internal@5 #tokens:20 Another one");
        await chat.ExpectEndAsync(chat.LastTurn, "failed");
        Assert.Equal("Fake answer to 2 words:", await chat.AnswerTextAsync(chat.LastTurn));
        await Expect(chat.LastTurn.Locator(".note.error")).ToContainTextAsync("The answer broke off: server_error");
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    [Fact]
    public async Task An_answer_the_page_cannot_read_is_shown_for_what_it_is()
    {
        await using var chat = await session.OpenAsync(Host);
        // Play a function that answers something else (another format, a proxy's page): the page must say so.
        var bodies = new Queue<(string Type, string Body)>([
            ("application/xml", "<answer>hi</answer>"),
            ("text/event-stream", "event: surprise\ndata: {\"x\":1}\n\ndata: {\"text\":\"partial\"}\n\n"),
        ]);
        await chat.Page.RouteAsync(chat.FunctionUrl.ToString(), async route =>
        {
            if (route.Request.Method != "POST") { await route.ContinueAsync(); return; }
            var (type, body) = bodies.Dequeue();
            await route.FulfillAsync(new() { Status = 200, ContentType = type, Body = body });
        });

        await chat.AskAsync("Hello");
        await chat.ExpectEndAsync(chat.LastTurn, "failed");
        var error = chat.LastTurn.Locator(".note.error");
        await Expect(error).ToContainTextAsync("Content-Type \"application/xml\"");
        await Expect(error.Locator("pre")).ToContainTextAsync("<answer>hi</answer>");

        await chat.AskAsync("Hello again");
        await chat.ExpectEndAsync(chat.LastTurn, "failed");
        Assert.Equal("partial", await chat.AnswerTextAsync(chat.LastTurn));
        await Expect(chat.LastTurn.Locator(".note.info")).ToContainTextAsync("event: surprise");
        await Expect(chat.LastTurn.Locator(".note.error")).ToContainTextAsync("without event: done");
        chat.AssertOnlyLocalRequestsAndNoErrors();
    }

    private static (string Role, string Content) Message(JsonNode? message) =>
        ((string)message!["role"]!, (string)message["content"]!);

}
