using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
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
    public async Task Written_frames_go_out_in_one_flush_and_the_close_frame_comes_last()
    {
        var pipe = new Pipe();
        var channel = new WebSocketChannel(pipe.Reader, pipe.Writer, connectedAt: 0);

        channel.Write(OutboundFrame.Text("a").Bytes);
        channel.Write(OutboundFrame.Text("b").Bytes);
        await channel.FlushAsync();
        var first = await pipe.Reader.ReadAsync();
        var firstBytes = first.Buffer.ToArray();
        pipe.Reader.AdvanceTo(first.Buffer.End);
        await channel.SendCloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
        var second = await pipe.Reader.ReadAsync();

        Assert.Equal([0x81, 1, (byte)'a', 0x81, 1, (byte)'b'], firstBytes);
        Assert.Equal([0x88, 5, 0x03, 0xE8, (byte)'b', (byte)'y', (byte)'e'], second.Buffer.ToArray());
        Assert.Equal(WebSocketState.CloseSent, channel.State);
    }

    [Fact]
    public void A_close_reason_is_cut_to_123_bytes_without_splitting_a_character()
    {
        var frame = new byte[ServerFrame.MaxCloseFrameBytes];

        var length = ServerFrame.WriteClose(frame, 1008, new string('\u20AC', 60)); // 3 bytes each: 41 fit in 123

        Assert.Equal(2 + 2 + 123, length);
        Assert.Equal(new string('\u20AC', 41), Encoding.UTF8.GetString(frame, 4, 123));
    }
}
