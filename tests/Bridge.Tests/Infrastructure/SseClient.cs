using System.Net.Http.Headers;
using System.Text;

namespace Bridge.Tests.Infrastructure;

/// <summary>One dispatched Server-Sent Event, parsed as a browser would (comments kept apart for heartbeat checks).</summary>
internal sealed record SseEvent(string Type, string? Id, string Data);

/// <summary>
/// A real HTTP client reading <c>/sse</c> line by line and assembling events by the HTML
/// specification's rules (field parsing, multi-line data, id persisting across events).
/// </summary>
internal sealed class SseClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpClient http, HttpResponseMessage response, StreamReader reader)
    {
        _http = http;
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    /// <summary>The last id seen, as <c>EventSource.lastEventId</c> would hold it.</summary>
    public string LastEventId { get; private set; } = string.Empty;

    private readonly Lock _commentsGate = new();
    private (int Count, TaskCompletionSource Signal)? _commentsWanted;

    /// <summary>Comment lines seen (heartbeats).</summary>
    public int Comments { get; private set; }

    /// <summary>Completes once <paramref name="count"/> comments were read; a receive must be pending to read them.</summary>
    public Task WaitForCommentsAsync(int count)
    {
        lock (_commentsGate)
        {
            if (Comments >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _commentsWanted = (count, signal);
            return signal.Task.WaitAsync(TestTimeouts.Signal);
        }
    }

    private void CountComment()
    {
        lock (_commentsGate)
        {
            Comments++;
            if (_commentsWanted is { } wanted && Comments >= wanted.Count)
            {
                wanted.Signal.TrySetResult();
                _commentsWanted = null;
            }
        }
    }

    public string? Retry { get; private set; }

    public static async Task<SseClient> ConnectAsync(Uri uri, string? lastEventId = null, string? origin = null)
    {
        var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Signal);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        return new SseClient(http, response, reader);
    }

    /// <summary>The next dispatched event (events without data only update <see cref="LastEventId"/>, as in browsers).</summary>
    public async Task<SseEvent> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestTimeouts.Signal);
        string type = "message";
        StringBuilder? data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("the SSE stream ended");
            if (line.Length == 0)
            {
                if (data is null)
                {
                    type = "message";
                    continue;
                }

                return new SseEvent(type, LastEventId, data.ToString());
            }

            if (line[0] == ':')
            {
                CountComment();
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "event":
                    type = value;
                    break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
                case "id":
                    LastEventId = value;
                    break;
                case "retry":
                    Retry = value;
                    break;
            }
        }
    }

    /// <summary>Reads until the server ends the stream; fails if an event arrives first.</summary>
    public async Task ExpectEndAsync()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Signal);
        while (await _reader.ReadLineAsync(cts.Token) is { } line)
        {
            Assert.True(line.Length == 0 || line[0] == ':' || line.StartsWith("id:", StringComparison.Ordinal) || line.StartsWith("data:", StringComparison.Ordinal) || line.StartsWith("event:", StringComparison.Ordinal), $"unexpected line '{line}'");
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
        _http.Dispose();
    }
}
