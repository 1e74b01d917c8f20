using Bridge.Topics;

namespace Bridge.Tests.Topics;

public sealed class TopicNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("prices.eu:EUR-USD_1")]
    [InlineData("A.B.C")]
    public void Valid_names_pass(string name) => Assert.True(TopicName.IsValid(name, out _));

    [Theory]
    [InlineData("", "topic is empty")]
    [InlineData("a b", "topic 'a b' has an invalid character at position 2; allowed are A-Z a-z 0-9 _ . : -")]
    [InlineData("a/b", "topic 'a/b' has an invalid character at position 2; allowed are A-Z a-z 0-9 _ . : -")]
    [InlineData("é", "topic 'é' has an invalid character at position 1; allowed are A-Z a-z 0-9 _ . : -")]
    [InlineData("a\nb", "topic 'a?b' has an invalid character at position 2; allowed are A-Z a-z 0-9 _ . : -")]
    public void Invalid_names_fail_with_a_precise_reason(string name, string expected)
    {
        Assert.False(TopicName.IsValid(name, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void The_broadcast_topic_is_valid_only_where_allowed()
    {
        Assert.False(TopicName.IsValid(string.Empty, out _));
        Assert.True(TopicName.IsValidOrBroadcast(string.Empty, out _));
    }
}
