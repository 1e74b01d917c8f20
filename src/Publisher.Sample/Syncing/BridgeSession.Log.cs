using Publisher.Sample.Lists;

namespace Publisher.Sample.Syncing;

internal sealed partial class BridgeSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Connected to bridge at {Address}, listening to {Topic}.")]
        public static partial void Connected(ILogger logger, Uri address, string topic);

        [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Applied {Edit} from connection {ConnectionId}; the list is now at version {Version}.")]
        public static partial void Applied(ILogger logger, ListEditKind edit, string connectionId, long version);

        [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Ignored an edit from connection {ConnectionId}: {Reason}")]
        public static partial void EditRejected(ILogger logger, string connectionId, string reason);

        [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Dropped an error reply to connection {ConnectionId}: {Limit} replies are already waiting to be sent.")]
        public static partial void ReplyDropped(ILogger logger, string connectionId, int limit);

        [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Published the list as update {Sequence} to {Recipients} connection(s).")]
        public static partial void Published(ILogger logger, ulong sequence, uint recipients);

        [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "The bridge did not deliver a {UpdateKind}: {Error}")]
        public static partial void DirectSendRejected(ILogger logger, string updateKind, string error);

        [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "The bridge rejected a request ({RequestKind}): {Error}")]
        public static partial void UpdateRejected(ILogger logger, string requestKind, string error);
    }
}
