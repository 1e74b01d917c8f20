using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Bridge.Hosting;

/// <summary>
/// The JavaScript client (<c>clients/js/bridge-client.js</c>) served at <c>/bridge-client.js</c>, so a page
/// can <c>import { connect } from "/bridge-client.js"</c> from the bridge it talks to, at its version.
/// </summary>
internal sealed class ClientScript
{
    private readonly byte[] _script = DemoPage.Load("Bridge.Client.bridge-client.js");
    private readonly string _etag;

    public ClientScript()
    {
        // Content-derived, so a browser revalidating after a bridge upgrade gets the new script and
        // otherwise a 304; no-cache makes it revalidate on every page load.
        _etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(_script).AsSpan(0, 8)) + "\"";
    }

    public Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.CacheControl = "no-cache";
        response.Headers.ETag = _etag;
        if (context.Request.Headers.IfNoneMatch.Any(value => value is not null && MatchesEtag(value)))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = "text/javascript; charset=utf-8";
        response.ContentLength = _script.Length;
        return response.Body.WriteAsync(_script).AsTask();
    }

    private bool MatchesEtag(string header) =>
        EntityTagHeaderValue.TryParseList([header], out var tags)
        && tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Tag.Equals(_etag, StringComparison.Ordinal));
}
