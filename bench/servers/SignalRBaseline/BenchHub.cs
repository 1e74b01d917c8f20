using Microsoft.AspNetCore.SignalR;

namespace SignalRBaseline;

/// <summary>
/// Every connection joins the group "bench" when it connects, except the publisher
/// (<c>/hub?role=publisher</c>), which would otherwise receive its own broadcast.
/// </summary>
internal sealed class BenchHub : Hub
{
    public const string Group = "bench";

    public override async Task OnConnectedAsync()
    {
        if (Context.GetHttpContext()?.Request.Query["role"].ToString() != "publisher")
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, Group);
        }

        await base.OnConnectedAsync();
    }

    /// <summary>Sends <paramref name="payload"/> to the group as the client method <c>m</c>.</summary>
    public Task Publish(string payload) => Clients.Group(Group).SendAsync("m", payload);
}
