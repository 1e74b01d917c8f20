using Bridge.Topics;
using Microsoft.Extensions.Options;

namespace Bridge.Configuration;

/// <summary>
/// Checks <see cref="BridgeOptions"/> at start-up; every failure names its configuration key,
/// so a bad value stops the process with a message an operator can act on.
/// </summary>
internal sealed class BridgeOptionsValidator : IValidateOptions<BridgeOptions>
{
    private const int MaxFrameBytes = 512 * 1024 * 1024;
    private const int MaxClientMessageBytes = 4 * 1024 * 1024 - 64 * 1024;

    public ValidateOptionsResult Validate(string? name, BridgeOptions options)
    {
        var failures = new List<string>();

        CheckUrl(failures, nameof(BridgeOptions.HttpUrl), options.HttpUrl);
        CheckUrl(failures, nameof(BridgeOptions.GrpcUrl), options.GrpcUrl);
        CheckRange(failures, nameof(BridgeOptions.MaxUpdateBytes), options.MaxUpdateBytes, 1, MaxFrameBytes);
        // A ClientMessage must fit the 4 MiB a default gRPC client accepts, or one browser message
        // would end a backend's whole Publish stream.
        CheckRange(failures, nameof(BridgeOptions.MaxClientMessageBytes), options.MaxClientMessageBytes, 1, MaxClientMessageBytes);
        CheckRange(failures, nameof(BridgeOptions.GrpcMaxReceiveMessageBytes), options.GrpcMaxReceiveMessageBytes, 1, int.MaxValue);
        if (options.GrpcMaxReceiveMessageBytes < (long)options.MaxUpdateBytes + 64 * 1024)
        {
            failures.Add(Key(nameof(BridgeOptions.GrpcMaxReceiveMessageBytes)) +
                $" must exceed {Key(nameof(BridgeOptions.MaxUpdateBytes))} by at least 64 KiB so oversized updates are rejected with an ack instead of ending the stream (was {options.GrpcMaxReceiveMessageBytes}).");
        }

        CheckRange(failures, nameof(BridgeOptions.SendQueueLength), options.SendQueueLength, 1, 1_000_000);
        CheckRange(failures, nameof(BridgeOptions.PublisherQueueLength), options.PublisherQueueLength, 1, 10_000_000);
        CheckRange(failures, nameof(BridgeOptions.MaxTopicsPerConnection), options.MaxTopicsPerConnection, 1, 10_000);
        CheckPositive(failures, nameof(BridgeOptions.PingInterval), options.PingInterval);
        CheckPositive(failures, nameof(BridgeOptions.PingTimeout), options.PingTimeout);
        CheckPositive(failures, nameof(BridgeOptions.CloseTimeout), options.CloseTimeout);
        CheckPositive(failures, nameof(BridgeOptions.DrainTimeout), options.DrainTimeout);

        CheckRange(failures, "History:MaxMessages", options.History.MaxMessages, 0, 1_000_000);
        CheckPositive(failures, "History:MaxAge", options.History.MaxAge, TimeSpan.FromDays(30));
        CheckRange(failures, "History:MaxBytes", options.History.MaxBytes, 64 * 1024, long.MaxValue);
        CheckPositive(failures, "Sse:HeartbeatInterval", options.Sse.HeartbeatInterval);
        CheckPositive(failures, "Sse:RetryInterval", options.Sse.RetryInterval);

        for (var i = 0; i < options.Topics.Count; i++)
        {
            var rule = options.Topics[i];
            if (!TopicPattern.IsValid(rule.Pattern, out var patternError))
            {
                failures.Add($"{Key($"Topics:{i}:Pattern")} {patternError} (was '{rule.Pattern}').");
            }

            if (!SlowConsumerPolicies.TryParse(rule.SlowConsumer, out _))
            {
                failures.Add($"{Key($"Topics:{i}:SlowConsumer")} must be one of disconnect, drop-oldest, conflate (was '{rule.SlowConsumer}').");
            }
        }

        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            var origin = options.AllowedOrigins[i];
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && !origin.EndsWith('/')))
            {
                failures.Add($"{Key($"AllowedOrigins:{i}")} must be an origin such as https://app.example.com (scheme, host, optional port, no path) or * (was '{origin}').");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Key(string property) => $"{BridgeOptions.SectionName}:{property}";

    private static void CheckUrl(List<string> failures, string property, string value)
    {
        if (!ListenerUrl.TryParse(value, out _, out var error))
        {
            failures.Add($"{Key(property)} {error} (was '{value}').");
        }
    }

    private static void CheckRange(List<string> failures, string property, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{Key(property)} must be between {min} and {max} (was {value}).");
        }
    }

    private static void CheckPositive(List<string> failures, string property, TimeSpan value) =>
        CheckPositive(failures, property, value, TimeSpan.FromDays(1));

    private static void CheckPositive(List<string> failures, string property, TimeSpan value, TimeSpan max)
    {
        if (value <= TimeSpan.Zero || value > max)
        {
            var limit = max == TimeSpan.FromDays(1) ? "one day" : $"{max.TotalDays:0} days";
            failures.Add($"{Key(property)} must be a positive duration of at most {limit}, such as 00:00:15 (was {value}).");
        }
    }
}
