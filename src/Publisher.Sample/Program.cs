using Microsoft.Extensions.Options;
using Publisher.Sample.Configuration;
using Publisher.Sample.Lists;
using Publisher.Sample.Syncing;

// A backend for the bridge: keeps one shared to-do list, applies the edits browsers send on topic
// "list" and publishes every new state to all of them. See README.md.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSimpleConsole(console =>
{
    console.SingleLine = true;
    console.TimestampFormat = "HH:mm:ss.fff ";
});

builder.Services.AddOptions<SampleOptions>().Bind(builder.Configuration).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<SampleOptions>, SampleOptionsValidator>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SharedList>();
builder.Services.AddHostedService<ListSyncService>();

try
{
    await builder.Build().RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // A bad setting is an operator error, not a crash: say which keys and stop.
    await Console.Error.WriteLineAsync("Publisher.Sample cannot start: invalid configuration.");
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync("  " + failure);
    }

    return 2;
}
