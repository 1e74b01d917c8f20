using Microsoft.Extensions.Options;

namespace Publisher.Sample.Configuration;

/// <summary>Checks <see cref="SampleOptions"/> at start-up; every failure names its key so an operator can fix it.</summary>
internal sealed class SampleOptionsValidator : IValidateOptions<SampleOptions>
{
    public ValidateOptionsResult Validate(string? name, SampleOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.Bridge, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"Bridge must be the bridge's gRPC address, such as http://localhost:50051 (was '{options.Bridge}').");
        }

        if (options.ReconnectDelay <= TimeSpan.Zero)
        {
            failures.Add($"ReconnectDelay must be a positive duration, such as 00:00:00.2 (was {options.ReconnectDelay}).");
        }

        if (options.MaxReconnectDelay < options.ReconnectDelay)
        {
            failures.Add($"MaxReconnectDelay must be at least ReconnectDelay (was {options.MaxReconnectDelay}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
