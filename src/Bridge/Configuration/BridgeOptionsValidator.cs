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

    private static void CheckPositive(List<string> failures, string property, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            failures.Add($"{Key(property)} must be a positive duration of at most one day, such as 00:00:15 (was {value}).");
        }
    }
}
