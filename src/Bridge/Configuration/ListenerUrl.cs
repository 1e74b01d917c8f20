using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Bridge.Configuration;

/// <summary>
/// A listener address from configuration (<c>http://host:port</c>). Parsed here rather than
/// handed to Kestrel as a URL because each listener needs its own HTTP protocol setting.
/// </summary>
internal sealed record ListenerUrl(IPAddress? Address, bool IsLocalhost, bool IsAnyIp, int Port)
{
    public static bool TryParse(string? value, [NotNullWhen(true)] out ListenerUrl? url, [NotNullWhen(false)] out string? error)
    {
        url = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "must be set to an address such as http://0.0.0.0:8080";
            return false;
        }

        // Uri cannot parse the "*" and "+" wildcards that ASP.NET accepts, so treat them as 0.0.0.0-style any.
        var normalized = value.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal)
                              .Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
        var anyIp = normalized != value;
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            error = "must be an http:// address with a host and port, such as http://0.0.0.0:8080 (TLS is not configured here)";
            return false;
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            error = "must not have a path or query";
            return false;
        }

        var port = uri.Port;
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            if (port == 0)
            {
                error = "cannot use port 0 with localhost; use 127.0.0.1 for a dynamic port";
                return false;
            }

            url = new ListenerUrl(null, IsLocalhost: true, IsAnyIp: false, port);
            error = null;
            return true;
        }

        if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            error = "must use an IP address, localhost, * or + as host";
            return false;
        }

        url = new ListenerUrl(address, IsLocalhost: false, IsAnyIp: anyIp, port);
        error = null;
        return true;
    }
}
