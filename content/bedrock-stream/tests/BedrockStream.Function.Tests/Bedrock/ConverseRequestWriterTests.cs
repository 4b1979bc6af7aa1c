using System.Buffers;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Bedrock;

namespace BedrockStream.Function.Tests.Bedrock;

public class ConverseRequestWriterTests
{
    private static string Write(ChatRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ConverseRequestWriter.Write(request, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Minimal_request_matches_the_signing_vector_body_byte_for_byte()
    {
        Assert.Equal("""{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":64}}""", Write(Models.Hi()));
    }

    [Fact]
    public void Temperature_is_sent_only_when_set()
    {
        Assert.DoesNotContain("temperature", Write(Models.Hi()), StringComparison.Ordinal);
        Assert.DoesNotContain("topP", Write(Models.Hi()), StringComparison.Ordinal);

        using JsonDocument doc = JsonDocument.Parse(Write(Models.Hi(temperature: 0.25)));
        Assert.Equal(0.25, doc.RootElement.GetProperty("inferenceConfig").GetProperty("temperature").GetDouble());
        Assert.Equal(64, doc.RootElement.GetProperty("inferenceConfig").GetProperty("maxTokens").GetInt32());
    }

    [Fact]
    public void System_prompt_is_sent_only_when_non_empty()
    {
        Assert.DoesNotContain("\"system\"", Write(Models.Hi(system: "")), StringComparison.Ordinal);
        Assert.DoesNotContain("\"system\"", Write(Models.Hi(system: null)), StringComparison.Ordinal);

        using JsonDocument doc = JsonDocument.Parse(Write(Models.Hi(system: "Be brief.")));
        Assert.Equal("Be brief.", doc.RootElement.GetProperty("system")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void Conversation_turns_keep_their_order_roles_and_text_including_quotes_and_non_ascii()
    {
        var request = new ChatRequest(Models.ModelId,
            [new ChatMessage("user", "say \"héllo\"\n"), new ChatMessage("assistant", "世界 🙂"), new ChatMessage("user", "again")],
            null, 10);

        using JsonDocument doc = JsonDocument.Parse(Write(request));
        JsonElement messages = doc.RootElement.GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        Assert.Equal(["user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(["say \"héllo\"\n", "世界 🙂", "again"], messages.EnumerateArray().Select(m => m.GetProperty("content")[0].GetProperty("text").GetString()));
    }
}
