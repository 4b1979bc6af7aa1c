using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Handler;

public class RetryPolicyTests
{
    private static readonly ManualTimeProvider Time = new();
    private static readonly DateTimeOffset FarDeadline = Time.GetUtcNow().AddMinutes(5);

    private static (bool Retry, TimeSpan Wait) Decide(int retries, string code = "ThrottlingException", double random = 1.0,
        TimeSpan? retryAfter = null, DateTimeOffset? deadline = null)
    {
        var policy = new RetryPolicy(Time, () => random);
        bool retry = policy.ShouldRetry(retries, new ModelException(code, "x", retryAfter: retryAfter), deadline ?? FarDeadline, out var wait);
        return (retry, wait);
    }

    [Theory]
    [InlineData(0, 0.0, 100)]
    [InlineData(0, 1.0, 200)]
    [InlineData(1, 0.0, 200)]
    [InlineData(1, 0.5, 300)]
    [InlineData(1, 1.0, 400)]
    public void Backoff_is_exponential_from_200ms_with_jitter_between_half_and_all(int retries, double random, int expectedMs) =>
        Assert.Equal((true, TimeSpan.FromMilliseconds(expectedMs)), Decide(retries, random: random));

    [Fact]
    public void Two_retries_at_most() => Assert.False(Decide(2).Retry);

    [Theory]
    [InlineData("ThrottlingException", true)]
    [InlineData("ServiceUnavailableException", true)]
    [InlineData("ModelNotReadyException", false)]
    [InlineData("InternalServerException", false)]
    [InlineData("ValidationException", false)]
    [InlineData("ModelStreamErrorException", false)]
    public void Only_throttling_and_unavailability_are_retried(string code, bool retried) =>
        Assert.Equal(retried, Decide(0, code).Retry);

    [Fact]
    public void A_longer_Retry_After_hint_is_honoured() =>
        Assert.Equal((true, TimeSpan.FromSeconds(2)), Decide(0, retryAfter: TimeSpan.FromSeconds(2)));

    [Fact]
    public void The_wait_plus_one_attempt_must_fit_before_the_deadline()
    {
        var now = Time.GetUtcNow();
        Assert.True(Decide(0, deadline: now.AddMilliseconds(1200)).Retry);
        Assert.False(Decide(0, deadline: now.AddMilliseconds(1199)).Retry);
        Assert.False(Decide(0, retryAfter: TimeSpan.FromSeconds(30), deadline: now.AddSeconds(30)).Retry);
    }

    [Fact]
    public async Task Waiting_uses_the_time_provider()
    {
        var time = new ManualTimeProvider();
        var wait = new RetryPolicy(time).WaitAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None);

        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await wait.WaitAsync(TestTimeouts.Signal);
    }
}
