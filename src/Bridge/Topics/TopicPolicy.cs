using Bridge.Configuration;
using Microsoft.Extensions.Options;

namespace Bridge.Topics;

/// <summary>How the bridge treats one topic: whether it keeps the latest value and what a full send queue does.</summary>
internal sealed record TopicPolicy(bool KeepLatest, SlowConsumerPolicy SlowConsumer)
{
    public static readonly TopicPolicy Default = new(KeepLatest: false, SlowConsumerPolicy.Disconnect);
}

/// <summary>Resolves a topic's policy from <c>Bridge:Topics</c>: the first pattern that matches wins.</summary>
internal sealed class TopicPolicies
{
    private readonly (string Pattern, TopicPolicy Policy)[] _rules;

    public TopicPolicies(IOptions<BridgeOptions> options)
    {
        _rules = [.. options.Value.Topics.Select(static rule =>
        {
            if (!SlowConsumerPolicies.TryParse(rule.SlowConsumer, out var slowConsumer))
            {
                throw new InvalidOperationException($"Bridge:Topics slow-consumer policy '{rule.SlowConsumer}' passed validation but cannot be parsed.");
            }

            return (rule.Pattern, new TopicPolicy(rule.KeepLatest, slowConsumer));
        })];
    }

    public TopicPolicy Resolve(string topic)
    {
        foreach (var (pattern, policy) in _rules)
        {
            if (TopicPattern.Matches(pattern, topic))
            {
                return policy;
            }
        }

        return TopicPolicy.Default;
    }
}
