using Bridge.Hosting;
using Microsoft.Extensions.Options;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

try
{
    var app = BridgeApplication.Create(args);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // A bad configuration value is an operator error, not a crash: say which keys and stop.
    await Console.Error.WriteLineAsync("Bridge cannot start: invalid configuration.");
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync("  " + failure);
    }

    return 2;
}
catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
{
    // The binder names the key and the type it expected, e.g. 'Bridge:SendQueueLength' to 'System.Int32'.
    await Console.Error.WriteLineAsync("Bridge cannot start: invalid configuration.");
    await Console.Error.WriteLineAsync("  " + ex.Message);
    return 2;
}
catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    await Console.Error.WriteLineAsync("Bridge cannot start: " + ex.Message + " Set Bridge:HttpUrl / Bridge:GrpcUrl to free ports.");
    return 2;
}
