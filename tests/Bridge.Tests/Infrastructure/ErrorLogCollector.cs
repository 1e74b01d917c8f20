using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// Collects every Error and Critical log entry of a test server. An unhandled exception in the
/// log is a bug, so <see cref="BridgeServer"/> fails the test if any were written.
/// </summary>
internal sealed class ErrorLogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _errors = new();

    public IReadOnlyCollection<string> Errors => _errors;

    public ILogger CreateLogger(string categoryName) => new Collector(categoryName, _errors);

    public void Dispose()
    {
    }

    private sealed class Collector(string category, ConcurrentQueue<string> errors) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue($"{logLevel} {category}[{eventId.Id}]: {formatter(state, exception)} {exception}");
            }
        }
    }
}
