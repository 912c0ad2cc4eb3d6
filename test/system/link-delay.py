#!/usr/bin/env python3
"""A delay element for the NAT lab, in user space, between two TUN devices.

This kernel has no sch_netem ("Specified qdisc kind is unknown"), so `tc qdisc
add ... netem delay` cannot be used. Instead the lab routes a link's packets
through this process (nat-lab.ts, delayLink): the kernel sends them out of one
TUN device, this process holds each one for exactly DELAY_MS and writes it
into the other TUN device, where the kernel receives it and routes it on.

    python3 test/system/link-delay.py --a NAME --b NAME --delay-ms N

Every packet read from A is written to B, and every packet read from B to A,
N ms after it was read: N is the ONE-WAY delay, applied to each direction
separately, so a round trip through the element gains 2 * N ms (netem's
`delay N` on both ends of a link does the same). Each direction is a FIFO
(a deque of (due time, packet)); the delay is constant, so FIFO order is due
order and no packet overtakes another. The loop sleeps in select() until a
packet arrives or the head of a queue is due: no busy waiting. A queue holds
at most --max-queue packets (default 20000); packets beyond that are dropped
and counted, so memory stays bounded however fast the kernel sends.

Both devices are opened with IFF_TUN | IFF_NO_PI (raw IP packets, no
header): created if they do not exist (and then removed by the kernel when
this process exits), attached if they do (e.g. made by `ip tuntap add mode
tun`). Bringing them up and routing through them is the caller's job.

stdout, one JSON object per line:
    {"event":"ready","a":NAME,"b":NAME,"delayMs":N}   once both devices are open
    {"event":"counters","aToB":..,"bToA":..,"dropped":..,"pending":..}
        on SIGUSR1 (and it keeps running), and on SIGTERM, SIGINT or EOF on
        stdin, after which it exits 0. aToB / bToA count packets written out;
        dropped counts packets lost to a full queue or a failed write;
        pending counts packets still queued (discarded at exit).
"""

import argparse
import collections
import errno
import fcntl
import json
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFNAMSIZ = 16
# Bigger than any packet a TUN device without offloads hands out (its MTU is 1500 here).
READ_SIZE = 65536
# Packets read from one device per wakeup, so one busy direction cannot starve the other.
READ_BATCH = 256


def open_tun(name: str) -> int:
    if not name or len(name) >= IFNAMSIZ:
        raise SystemExit(f"link-delay: bad interface name {name!r} (1 to {IFNAMSIZ - 1} characters)")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    # struct ifreq: char ifr_name[16]; short ifr_flags; padded to 40 bytes.
    ifr = struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    return fd


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main() -> int:
    p = argparse.ArgumentParser(description="Delay every packet between two TUN devices by a fixed time.")
    p.add_argument("--a", required=True, help="first TUN device")
    p.add_argument("--b", required=True, help="second TUN device")
    p.add_argument("--delay-ms", type=float, required=True, help="one-way delay, applied in each direction")
    p.add_argument("--max-queue", type=int, default=20000, help="packets held per direction at most")
    args = p.parse_args()
    if args.delay_ms < 0:
        raise SystemExit("link-delay: --delay-ms must be >= 0")
    delay = args.delay_ms / 1000.0
    max_queue = args.max_queue

    fd_a = open_tun(args.a)
    fd_b = open_tun(args.b)

    # Signals only set flags; the wakeup pipe interrupts select() so the loop sees them at once.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    flags = {"stop": False, "report": False}

    def on_stop(_sig, _frame):
        flags["stop"] = True

    def on_report(_sig, _frame):
        flags["report"] = True

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGUSR1, on_report)

    stdin_fd = sys.stdin.fileno()
    watch = [fd_a, fd_b, wake_r, stdin_fd]

    # (from fd, to fd, queue of (due, packet), counter name)
    q_ab: collections.deque = collections.deque()
    q_ba: collections.deque = collections.deque()
    routes = ((fd_a, fd_b, q_ab, "aToB"), (fd_b, fd_a, q_ba, "bToA"))
    counters = {"aToB": 0, "bToA": 0, "dropped": 0}

    def snapshot() -> dict:
        return {"event": "counters", **counters, "pending": len(q_ab) + len(q_ba)}

    emit({"event": "ready", "a": args.a, "b": args.b, "delayMs": args.delay_ms})

    while not flags["stop"]:
        # Send everything that is due.
        now = time.monotonic()
        for _src, dst, q, name in routes:
            while q and q[0][0] <= now:
                packet = q.popleft()[1]
                try:
                    os.write(dst, packet)
                    counters[name] += 1
                except OSError:
                    # EIO while the device is down, EAGAIN when its queue is full: the packet is lost.
                    counters["dropped"] += 1
        heads = [q[0][0] for q in (q_ab, q_ba) if q]
        timeout = max(0.0, min(heads) - time.monotonic()) if heads else None
        try:
            readable, _, _ = select.select(watch, [], [], timeout)
        except InterruptedError:
            readable = []
        if flags["report"]:
            flags["report"] = False
            emit(snapshot())
        for fd in readable:
            if fd == wake_r:
                try:
                    while os.read(wake_r, 256):
                        pass
                except BlockingIOError:
                    pass
            elif fd == stdin_fd:
                if not os.read(stdin_fd, 4096):
                    flags["stop"] = True
            else:
                for src, _dst, q, _name in routes:
                    if src != fd:
                        continue
                    for _ in range(READ_BATCH):
                        try:
                            packet = os.read(src, READ_SIZE)
                        except BlockingIOError:
                            break
                        except OSError as e:
                            if e.errno == errno.EINTR:
                                continue
                            raise
                        if len(q) >= max_queue:
                            counters["dropped"] += 1
                        else:
                            q.append((time.monotonic() + delay, packet))
        if flags["report"]:
            flags["report"] = False
            emit(snapshot())

    emit(snapshot())
    return 0


if __name__ == "__main__":
    sys.exit(main())
