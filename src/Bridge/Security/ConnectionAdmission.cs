using Bridge.Configuration;
using Bridge.Topics;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Bridge.Security;

/// <summary>
/// The one place where a browser connection is admitted and its subscriptions authorised. Today it
/// checks the shutdown state, the topic names and the topic limit; authentication, origin checks and
/// per-topic permissions slot in here.
/// </summary>
internal sealed class ConnectionAdmission(IOptions<BridgeOptions> options, IHostApplicationLifetime lifetime)
{
    private readonly int _maxTopics = options.Value.MaxTopicsPerConnection;

    public Admission Admit(HttpContext context) => Admit(context.Request.Query["topic"]);

    /// <param name="requested">The <c>topic</c> query parameters, decoded.</param>
    public Admission Admit(StringValues requested)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Admission.Refuse(StatusCodes.Status503ServiceUnavailable, "the bridge is shutting down");
        }

        if (requested.Count > _maxTopics)
        {
            return Admission.Refuse(StatusCodes.Status400BadRequest,
                $"too many topics: {requested.Count} requested, the limit is {_maxTopics} (Bridge:MaxTopicsPerConnection)");
        }

        var topics = new string[requested.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requested.Count; i++)
        {
            var topic = requested[i] ?? string.Empty;
            if (!TopicName.IsValid(topic, out var error))
            {
                return Admission.Refuse(StatusCodes.Status400BadRequest, $"bad topic parameter {i + 1}: {error}");
            }

            if (!seen.Add(topic))
            {
                return Admission.Refuse(StatusCodes.Status400BadRequest, $"bad topic parameter {i + 1}: topic '{topic}' is repeated");
            }

            topics[i] = topic;
        }

        return Admission.Admit(topics);
    }
}

/// <summary>The answer to a connection request: the topics to subscribe, or a status and reason.</summary>
internal readonly record struct Admission(int StatusCode, string? Error, string[] Topics)
{
    public bool IsAdmitted => Error is null;

    public static Admission Admit(string[] topics) => new(StatusCodes.Status101SwitchingProtocols, null, topics);

    public static Admission Refuse(int statusCode, string error) => new(statusCode, error, []);
}
