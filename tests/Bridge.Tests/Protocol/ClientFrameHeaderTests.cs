using System.Buffers;
using Bridge.Protocol;

namespace Bridge.Tests.Protocol;

public sealed class ClientFrameHeaderTests
{
    [Theory]
    [InlineData(new byte[] { 0x81, 0x85, 1, 2, 3, 4 }, true, 0x1, 5)]
    [InlineData(new byte[] { 0x02, 0xFE, 0x01, 0x00, 1, 2, 3, 4 }, false, 0x2, 256)]
    [InlineData(new byte[] { 0x80, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4 }, true, 0x0, 1L << 32)]
    [InlineData(new byte[] { 0x89, 0xFD, 1, 2, 3, 4 }, true, 0x9, 125)]
    public void A_valid_header_gives_its_fin_opcode_and_length(byte[] bytes, bool fin, byte opcode, long length)
    {
        var error = ClientFrameHeader.TryRead(new ReadOnlySequence<byte>(bytes), out var header, out var complete);

        Assert.Null(error);
        Assert.True(complete);
        Assert.Equal((fin, opcode, length, bytes.Length), (header.Fin, header.Opcode, header.PayloadLength, header.Length));
    }

    [Theory]
    [InlineData(new byte[] { 0x81, 0x05, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' }, "unmasked frame")]
    [InlineData(new byte[] { 0xC1, 0x80, 1, 2, 3, 4 }, "reserved bits set")]
    [InlineData(new byte[] { 0x91, 0x80, 1, 2, 3, 4 }, "reserved bits set")]
    [InlineData(new byte[] { 0x83, 0x80, 1, 2, 3, 4 }, "unknown opcode")]
    [InlineData(new byte[] { 0x8B, 0x80, 1, 2, 3, 4 }, "unknown opcode")]
    [InlineData(new byte[] { 0x09, 0x80, 1, 2, 3, 4 }, "fragmented control frame")]
    [InlineData(new byte[] { 0x89, 0xFE, 0, 126, 1, 2, 3, 4 }, "control frame too long")]
    [InlineData(new byte[] { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 }, "invalid frame length")]
    public void A_header_that_breaks_a_server_rule_names_it(byte[] bytes, string expected)
    {
        Assert.Equal(expected, ClientFrameHeader.TryRead(new ReadOnlySequence<byte>(bytes), out _, out _));
    }

    [Fact]
    public void A_header_split_across_segments_or_cut_short_is_read_when_whole()
    {
        byte[] bytes = [0x82, 0xFE, 0x01, 0x00, 9, 8, 7, 6];
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Null(ClientFrameHeader.TryRead(new ReadOnlySequence<byte>(bytes, 0, cut), out _, out var complete));
            Assert.False(complete);
        }

        Assert.Null(ClientFrameHeader.TryRead(Segments(bytes[..3], bytes[3..]), out var header, out var whole));
        Assert.True(whole);
        Assert.Equal((256L, 8), (header.PayloadLength, header.Length));
    }

    [Fact]
    public void Unmasking_matches_the_rfc_byte_by_byte_from_any_offset()
    {
        byte[] key = [0x37, 0xFA, 0x21, 0x3D];
        var plain = Enumerable.Range(0, 53).Select(i => (byte)(i * 7)).ToArray();
        var maskKey = BitConverter.ToUInt32(key);
        for (var offset = 0; offset < 8; offset++)
        {
            var data = plain.Select((b, i) => (byte)(b ^ key[(offset + i) % 4])).ToArray();

            FrameMask.Apply(data, maskKey, offset);

            Assert.Equal(plain, data);
        }
    }

    private static ReadOnlySequence<byte> Segments(byte[] first, byte[] second)
    {
        var start = new Segment(first);
        var end = start.Append(second);
        return new ReadOnlySequence<byte>(start, 0, end, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes) => Memory = bytes;

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
