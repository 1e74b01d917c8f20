using System.Buffers.Text;
using System.Security.Cryptography;

namespace Bridge.Connections;

/// <summary>
/// Makes connection ids: 96 random bits, URL-safe, so an id is unguessable (a backend may use it
/// to address replies) and unique across instances without coordination.
/// </summary>
internal sealed class ConnectionIdGenerator
{
    public string Next()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }
}
