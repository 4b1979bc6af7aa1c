using System.Diagnostics;
using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>The generated local host's chat page, in a real (headless) browser.</summary>
[Collection(BuildCollection.Name)]
public class ChatPageBrowserTests
{
    [Fact]
    public async Task Chat_page_shows_the_answer_growing_as_it_streams()
    {
        var chromium = HeadlessChromium.Executable;
        if (chromium is null)
        {
            // CI installs Debian's chromium (.ci/run); elsewhere, say how to get it rather than pass silently.
            Assert.Fail("Chromium is not installed: run `apt-get install chromium` (bash .ci/run does) or set CHROMIUM_PATH.");
        }

        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Chat", "--tests", "false", "--ci", "none"), "Chat");
        (await Dotnet.RunAsync(["build", "local/Chat.Local/Chat.Local.csproj"], project.Directory, TimeSpan.FromMinutes(6))).EnsureSuccess();
        await using var host = await LocalHostProcess.StartAsync(project, "net10.0", ["--token-rate", "15"]);
        await using var browser = await HeadlessChromium.StartAsync(chromium!);

        await browser.NavigateAsync(host.FunctionUrl);
        await WaitUntilAsync(browser, "document.readyState === 'complete' && !!document.querySelector('#send')", TimeSpan.FromSeconds(20));
        await browser.EvaluateAsync("document.querySelector('#prompt').value = 'Tell me about lighthouses and the sea'; document.querySelector('#send').click(); true");

        // Sample the answer's length until the page says it is done: it must grow in several steps.
        var lengths = new List<(TimeSpan At, int Length)>();
        var clock = Stopwatch.StartNew();
        string status;
        do
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), "the page never finished: " + host.Output);
            var length = (int)(await browser.EvaluateAsync("document.querySelector('#answer').textContent.length"))!;
            if (lengths.Count == 0 || lengths[^1].Length != length) lengths.Add((clock.Elapsed, length));
            status = (string)(await browser.EvaluateAsync("document.querySelector('#status').textContent"))!;
            await Task.Delay(40);
        }
        while (status != "done" && status != "failed");

        Assert.Equal("done", status);
        Assert.Equal("", (string?)await browser.EvaluateAsync("document.querySelector('#error').textContent"));
        var growth = lengths.Where(l => l.Length > 0).ToList();
        Assert.True(growth.Count >= 4, $"the answer appeared in {growth.Count} steps: {string.Join(", ", lengths)}");
        Assert.True(growth[^1].At - growth[0].At > TimeSpan.FromMilliseconds(200), $"the answer did not grow over time: {string.Join(", ", lengths)}");
    }

    private static async Task WaitUntilAsync(HeadlessChromium browser, string condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!((bool?)await browser.EvaluateAsync(condition) ?? false))
        {
            Assert.True(clock.Elapsed < timeout, "timed out waiting for: " + condition);
            await Task.Delay(50);
        }
    }
}
