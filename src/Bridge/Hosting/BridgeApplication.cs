namespace Bridge.Hosting;

/// <summary>Builds the bridge's web application; shared by <c>Program</c> and the tests.</summary>
internal static class BridgeApplication
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json sits beside the binary; do not depend on the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.AddBridge(builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapBridge();
        return app;
    }
}
