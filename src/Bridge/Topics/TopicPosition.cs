using System.Security.Cryptography;

namespace Bridge.Topics;

/// <summary>
/// A position in a topic's stream: the sequence of the last update (0 before the first) in an
/// epoch. Positions of different epochs cannot be compared: the history between them may be lost.
/// </summary>
internal readonly record struct TopicPosition(ulong Sequence, string Epoch)
{
    private const string EpochAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>Characters in an epoch.</summary>
    public const int EpochLength = 10;

    /// <summary>
    /// A fresh random epoch (about 51 bits). Random rather than counted, so a restarted bridge can
    /// never hand out an epoch a client saw before and report "recovered" for lost history.
    /// </summary>
    public static string NewEpoch() => RandomNumberGenerator.GetString(EpochAlphabet, EpochLength);

    public static bool IsEpochSyntax(ReadOnlySpan<char> epoch)
    {
        if (epoch.Length != EpochLength)
        {
            return false;
        }

        foreach (var c in epoch)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'z'))
            {
                return false;
            }
        }

        return true;
    }
}
