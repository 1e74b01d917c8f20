namespace Bridge.Hosting;

/// <summary>The demo page served at <c>/</c>, embedded in the assembly so it works wherever the binary does.</summary>
internal sealed class DemoPage
{
    private readonly byte[] _html = Load("Bridge.Pages.index.html");

    public Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        return context.Response.Body.WriteAsync(_html).AsTask();
    }

    /// <summary>Reads an embedded resource of this assembly; a missing one is a build mistake.</summary>
    internal static byte[] Load(string name)
    {
        using var stream = typeof(DemoPage).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
