using System.Globalization;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Sync;

/// <summary>
/// "Subscription, snapshot and replay are one atomic step with respect to publications": a resume
/// while a backend publishes continuously gets every update after its position exactly once, in
/// order, whether it arrives in the replay or live.
/// </summary>
public sealed class ReplayLiveRaceTests
{
    private const string Topic = "race";

    private static readonly Dictionary<string, string> Settings = new()
    {
        // Large enough that neither the history nor a client's queue is ever the limit here: any
        // gap or duplicate is then a fault of the replay/live hand-over, not a bound doing its job.
        ["History:MaxMessages"] = "200000",
        ["SendQueueLength"] = "200000",
    };

    [Fact]
    public async Task Resuming_while_a_backend_publishes_continuously_delivers_every_later_update_once_in_order_50_times()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        await using var publisher = await ContinuousPublisher.StartAsync(server);
        var random = new Random(20240611);

        for (var iteration = 0; iteration < 50; iteration++)
        {
            // Three clients resume at once, each from its own earlier position.
            var behind = Enumerable.Range(0, 3).Select(_ => (ulong)random.Next(0, 40)).ToArray();
            await Task.WhenAll(behind.Select(async back =>
            {
                using var client = await JsonClient.ConnectAsync(server);
                var published = publisher.LastAcked;
                var since = published - Math.Min(published, back);
                var current = await ResumeAsync(client, publisher.Epoch, since);

                // Through the replay and at least 20 live updates past the subscribe position.
                await ExpectConsecutiveAsync(client, since + 1, current + 20);
            }));
        }

        Assert.True(publisher.LastAcked > 150, $"the publisher published only {publisher.LastAcked} updates");
    }

    [Fact]
    public async Task A_resume_while_publishing_ends_with_the_last_published_update_and_nothing_after_it()
    {
        await using var server = await BridgeServer.StartAsync(Settings);
        ulong last;
        var clients = new List<(JsonClient Client, ulong Since)>();
        try
        {
            await using (var publisher = await ContinuousPublisher.StartAsync(server))
            {
                for (var i = 0; i < 20; i++)
                {
                    var client = await JsonClient.ConnectAsync(server);
                    var since = publisher.LastAcked - (ulong)Math.Min(publisher.LastAcked, (ulong)i);
                    await ResumeAsync(client, publisher.Epoch, since);
                    clients.Add((client, since));
                }

                last = await publisher.StopAsync();
            }

            foreach (var (client, since) in clients)
            {
                await ExpectConsecutiveAsync(client, since + 1, last);
                await client.PingAsync(); // nothing after the last update: no duplicate at the end
            }
        }
        finally
        {
            foreach (var (client, _) in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>Subscribes with <paramref name="since"/>; asserts it is recovered and returns the current sequence.</summary>
    private static async Task<ulong> ResumeAsync(JsonClient client, string epoch, ulong since)
    {
        var answer = await client.SubscribeAsync(Topic, since, epoch);
        Assert.True((bool?)answer["recovered"] == true, $"a resume from {since} within the history was not recovered: {answer.ToJsonString()}");
        Assert.Equal(epoch, (string?)answer["epoch"]);
        var current = (ulong)answer["sequence"]!;
        Assert.True(current >= since, $"subscribed at {current}, before the resumed position {since}");
        return current;
    }

    /// <summary>The next messages must be exactly <paramref name="from"/> … <paramref name="to"/>, each with its own payload.</summary>
    private static async Task ExpectConsecutiveAsync(JsonClient client, ulong from, ulong to)
    {
        for (var expected = from; expected <= to; expected++)
        {
            var update = await client.ReceiveMessageAsync();
            Assert.True(
                update.Sequence == expected && update.Data == Payload(expected),
                $"expected update {expected} (resumed after {from - 1}), got {update.Envelope.ToJsonString()}");
        }
    }

    private static string Payload(ulong sequence) => "u" + sequence.ToString(CultureInfo.InvariantCulture);

    /// <summary>One backend stream publishing on <see cref="Topic"/> as fast as its acks come back, until stopped.</summary>
    private sealed class ContinuousPublisher : IAsyncDisposable
    {
        private readonly PublisherSession _session;
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private long _lastAcked;

        private ContinuousPublisher(PublisherSession session, string epoch)
        {
            _session = session;
            Epoch = epoch;
        }

        public string Epoch { get; }

        public ulong LastAcked => (ulong)Volatile.Read(ref _lastAcked);

        public static async Task<ContinuousPublisher> StartAsync(BridgeServer server)
        {
            var session = await PublisherSession.OpenAsync(server.Client);
            var first = await session.PublishTextAsync(Topic, Payload(1));
            Assert.Equal(1ul, first.Sequence);
            var publisher = new ContinuousPublisher(session, first.Epoch) { _lastAcked = 1 };
            publisher._loop = Task.Run(publisher.RunAsync);
            return publisher;
        }

        /// <summary>Stops publishing; returns the last sequence published.</summary>
        public async Task<ulong> StopAsync()
        {
            await _stop.CancelAsync();
            await _loop.WaitAsync(TestTimeouts.Signal);
            return LastAcked;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await StopAsync();
            }
            finally
            {
                _stop.Dispose();
                await _session.DisposeAsync();
            }
        }

        private async Task RunAsync()
        {
            for (var next = 2ul; !_stop.IsCancellationRequested; next++)
            {
                var ack = await _session.PublishTextAsync(Topic, Payload(next));
                Assert.True(ack.Sequence == next && ack.Epoch == Epoch && ack.Error.Length == 0, $"unexpected ack {ack}");
                Volatile.Write(ref _lastAcked, (long)next);
            }
        }
    }
}
