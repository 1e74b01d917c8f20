using Bridge.Connections;
using Bridge.Protocol;

namespace Bridge.Tests.Protocol;

public sealed class ServerFrameTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x81, 0 })]
    [InlineData(125, new byte[] { 0x81, 125 })]
    [InlineData(126, new byte[] { 0x81, 126, 0, 126 })]
    [InlineData(65535, new byte[] { 0x81, 126, 0xFF, 0xFF })]
    [InlineData(65536, new byte[] { 0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0 })]
    public void Text_frames_carry_FIN_the_opcode_and_the_shortest_length_encoding(int length, byte[] header)
    {
        var frame = OutboundFrame.Text(new string('a', length));

        Assert.Equal(header, frame.Bytes[..header.Length]);
        Assert.Equal(header.Length + length, frame.Bytes.Length);
        Assert.All(frame.Bytes[header.Length..], b => Assert.Equal((byte)'a', b));
    }

    [Fact]
    public void Binary_frames_are_unmasked_and_byte_for_byte()
    {
        var frame = OutboundFrame.Binary([0, 255, 7]);

        Assert.Equal(new byte[] { 0x82, 3, 0, 255, 7 }, frame.Bytes);
    }

    [Fact]
    public async Task Gathered_frames_go_out_in_one_write_and_nothing_follows_a_close_frame()
    {
        var transport = new RecordingStream();
        await using var stream = new CoalescingStream(transport);

        Assert.True(stream.TryAppendFrame(OutboundFrame.Text("a").Bytes, out _));
        Assert.True(stream.TryAppendFrame(OutboundFrame.Text("b").Bytes, out var gathered));
        await stream.FlushGatheredAsync();
        await stream.WriteAsync(new byte[] { 0x88, 0 }); // what the WebSocket writes to close
        var refused = stream.TryAppendFrame(OutboundFrame.Text("late").Bytes, out _);

        Assert.Equal(6, gathered);
        Assert.Equal([[0x81, 1, (byte)'a', 0x81, 1, (byte)'b'], [0x88, 0]], transport.Writes);
        Assert.False(refused);
    }

    private sealed class RecordingStream : MemoryStream
    {
        public List<byte[]> Writes { get; } = [];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return ValueTask.CompletedTask;
        }
    }
}
