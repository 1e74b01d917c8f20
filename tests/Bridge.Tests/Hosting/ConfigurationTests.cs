using Bridge.Hosting;
using Microsoft.Extensions.Options;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Hosting;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("--Bridge:MaxUpdateBytes=0", "Bridge:MaxUpdateBytes must be between 1 and 536870912 (was 0).")]
    [InlineData("--Bridge:SendQueueLength=-5", "Bridge:SendQueueLength must be between 1 and 1000000 (was -5).")]
    [InlineData("--Bridge:PingInterval=00:00:00", "Bridge:PingInterval must be a positive duration of at most one day, such as 00:00:15 (was 00:00:00).")]
    [InlineData("--Bridge:HttpUrl=https://0.0.0.0:8080", "Bridge:HttpUrl must be an http:// address with a host and port, such as http://0.0.0.0:8080 (TLS is not configured here) (was 'https://0.0.0.0:8080').")]
    [InlineData("--Bridge:GrpcUrl=http://example.com:50051", "Bridge:GrpcUrl must use an IP address, localhost, * or + as host (was 'http://example.com:50051').")]
    [InlineData("--Bridge:GrpcUrl=http://localhost:0", "Bridge:GrpcUrl cannot use port 0 with localhost; use 127.0.0.1 for a dynamic port (was 'http://localhost:0').")]
    [InlineData("--Bridge:GrpcMaxReceiveMessageBytes=1048576", "Bridge:GrpcMaxReceiveMessageBytes must exceed Bridge:MaxUpdateBytes by at least 64 KiB")]
    public async Task An_invalid_value_stops_start_up_with_a_message_naming_the_key(string argument, string expected)
    {
        string[] args = ["--Bridge:HttpUrl=http://127.0.0.1:0", "--Bridge:GrpcUrl=http://127.0.0.1:0", "--Logging:LogLevel:Default=None", argument];

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = BridgeApplication.Create(args);
            await app.StartAsync();
        });

        Assert.Contains(error.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Port_zero_binds_free_ports_for_both_listeners()
    {
        await using var server = await Infrastructure.BridgeServer.StartAsync();

        Assert.NotEqual(0, server.HttpUri.Port);
        Assert.NotEqual(0, server.GrpcUri.Port);
        Assert.NotEqual(server.HttpUri.Port, server.GrpcUri.Port);
    }
}

public sealed class ConfigurationErrorExitTests
{
    [Theory]
    [InlineData("--Bridge:SendQueueLength=abc", "Failed to convert configuration value 'abc' at 'Bridge:SendQueueLength' to type 'System.Int32'.")]
    [InlineData("--Bridge:PingTimeout=0", "Bridge:PingTimeout must be a positive duration of at most one day, such as 00:00:15 (was 00:00:00).")]
    public async Task The_process_prints_the_key_and_exits_2_without_a_stack_trace(string argument, string expected)
    {
        var bridge = Path.Combine(AppContext.BaseDirectory, "Bridge.dll");

        var (exitCode, output) = await ChildProcess.RunAsync(
            "dotnet",
            [bridge, "--Bridge:HttpUrl=http://127.0.0.1:0", "--Bridge:GrpcUrl=http://127.0.0.1:0", argument],
            AppContext.BaseDirectory,
            new Dictionary<string, string?>(),
            Infrastructure.TestTimeouts.Signal);

        Assert.Equal(2, exitCode);
        Assert.Contains("Bridge cannot start: invalid configuration.", output, StringComparison.Ordinal);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
