using System.Runtime.InteropServices;

namespace Bridge.Benchmarks.Infrastructure;

/// <summary>The few Linux calls the load generator makes directly: epoll, recv/send on raw fds, rlimits.</summary>
internal static unsafe partial class Native
{
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const uint EpollIn = 0x001;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const int EAgain = 11;
    public const int EIntr = 4;
    public const int MsgNoSignal = 0x4000;
    private const int RLimitNoFile = 7;

    /// <summary>Size of <c>struct epoll_event</c>: packed (12 bytes) on x86-64, 16 elsewhere.</summary>
    public static int EpollEventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Offset of <c>epoll_event.data</c>.</summary>
    public static int EpollDataOffset => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, byte* epollEvent);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "usleep")]
    public static partial int USleep(uint microseconds);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, RLimit* limit);

    /// <summary>Registers <paramref name="fd"/> for level-triggered reads with <paramref name="data"/> as its tag.</summary>
    public static void EpollAdd(int epfd, int fd, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = EpollIn | EpollRdHup;
        *(ulong*)(ev + EpollDataOffset) = data;
        if (EpollCtl(epfd, EpollCtlAdd, fd, ev) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl(ADD) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static void EpollRemove(int epfd, int fd)
    {
        var ev = stackalloc byte[16];
        _ = EpollCtl(epfd, EpollCtlDel, fd, ev);
    }

    /// <summary>Raises the soft limit on open files to the hard limit; returns the new soft limit.</summary>
    public static long RaiseOpenFileLimit()
    {
        RLimit limit;
        if (GetRLimit(RLimitNoFile, &limit) != 0)
        {
            return -1;
        }

        if (limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            _ = SetRLimit(RLimitNoFile, &limit);
            _ = GetRLimit(RLimitNoFile, &limit);
        }

        return (long)limit.Current;
    }

    /// <summary>The hard limit on open files.</summary>
    public static long OpenFileHardLimit()
    {
        RLimit limit;
        return GetRLimit(RLimitNoFile, &limit) == 0 ? (long)limit.Maximum : -1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
