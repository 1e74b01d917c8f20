namespace Bridge.Connections;

internal sealed partial class ClientConnection
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Connection {ConnectionId} is a slow consumer: its queue of {QueueLength} frames overflowed; closing it with 1008.")]
        public static partial void SlowConsumer(ILogger logger, string connectionId, int queueLength);

        [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "Connection {ConnectionId} could not be written to: {Reason}")]
        public static partial void SendFailed(ILogger logger, string connectionId, string reason);
    }
}
