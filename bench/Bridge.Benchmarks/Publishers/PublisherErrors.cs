using System.Collections.Concurrent;

namespace Bridge.Benchmarks.Publishers;

/// <summary>The first few errors a publisher saw, and how many there were.</summary>
internal sealed class PublisherErrors
{
    private readonly ConcurrentQueue<string> _errors = new();
    private long _count;

    public IReadOnlyCollection<string> Items => _errors;

    public long Count => Interlocked.Read(ref _count);

    public void Add(string error)
    {
        if (Interlocked.Increment(ref _count) <= 20)
        {
            _errors.Enqueue(error);
        }
    }
}
