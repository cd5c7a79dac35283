#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# test/integration/ike_flood.py - IKE_SA_INIT load for the flood lab test
# (test_medsrv_flood.sh). Two modes, each bounded by --seconds and --count:
#
#   spoof --dst IP --net A.B.C --lo N --hi M [--rate R]
#       IKE_SA_INITs from random source addresses A.B.C.N..M (raw socket,
#       IP_HDRINCL), random source ports and SPIs: a spoofed flood. Needs root.
#   echo --dst IP --bind IP [--rate R]
#       IKE_SA_INITs from one real address, each with a new SPI; every COOKIE the
#       server answers is sent back at once (RFC 7296 2.6) and nothing more: a
#       source that passes the cookie check but never authenticates.
#
# Sends only to --dst. Prints one line of counters (key=value) at the end.
import argparse
import os
import random
import select
import socket
import struct
import sys
import time

IKE_SA_INIT = 34
PLD_SA, PLD_KE, PLD_NONCE, PLD_NOTIFY = 33, 34, 40, 41
N_COOKIE = 16390


def transform(more, ttype, tid, attrs=b""):
    return struct.pack("!BBHBBH", 3 if more else 0, 0, 8 + len(attrs), ttype, 0, tid) + attrs


# aes128gcm16-prfsha256-x25519, as the lab's clients propose it
PROPOSAL_BODY = (transform(True, 1, 20, struct.pack("!HH", 0x800E, 128)) + transform(True, 2, 5) +
                 transform(False, 4, 31))
PROPOSAL = struct.pack("!BBHBBBB", 0, 0, 8 + len(PROPOSAL_BODY), 1, 1, 0, 3) + PROPOSAL_BODY


def ike_init(spi, nonce, ke, cookie=None):
    sa = struct.pack("!BBH", PLD_KE, 0, 4 + len(PROPOSAL)) + PROPOSAL
    kep = struct.pack("!BBHHH", PLD_NONCE, 0, 8 + len(ke), 31, 0) + ke
    np = struct.pack("!BBH", 0, 0, 4 + len(nonce)) + nonce
    body = sa + kep + np
    first = PLD_SA
    if cookie is not None:
        body = struct.pack("!BBHBBH", PLD_SA, 0, 8 + len(cookie), 0, 0, N_COOKIE) + cookie + body
        first = PLD_NOTIFY
    return struct.pack("!8s8sBBBBII", spi, bytes(8), first, 0x20, IKE_SA_INIT, 0x08, 0, 28 + len(body)) + body


def ip_udp(src, sport, dst, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # checksum 0: none (IPv4)
    # version/IHL, TOS, total length, id, frag, TTL, UDP, checksum (the kernel fills it in)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp


def spoof(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rnd = random.Random(a.seed)
    nonce, ke = os.urandom(32), os.urandom(32)
    sent = errors = 0
    t0 = time.monotonic()
    end = t0 + a.seconds
    while sent + errors < a.count:
        now = time.monotonic()
        if now >= end:
            break
        # paced in 10 ms batches
        due = min(a.count, int((now - t0) * a.rate) + 1)
        while sent + errors < due:
            src = "%s.%d" % (a.net, rnd.randint(a.lo, a.hi))
            pkt = ip_udp(src, rnd.randint(1024, 65535), a.dst, a.port,
                         ike_init(rnd.getrandbits(64).to_bytes(8, "big"), nonce, ke))
            try:
                s.sendto(pkt, (a.dst, 0))
                sent += 1
            except OSError:
                errors += 1
        time.sleep(0.01)
    print("spoof sent=%d errors=%d seconds=%.1f" % (sent, errors, time.monotonic() - t0), flush=True)


def echo(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    s.setblocking(False)
    pending = {}  # SPI -> (nonce, ke) of requests not answered yet
    sent = cookies = answered = other = 0
    t0 = time.monotonic()
    end = t0 + a.seconds
    while time.monotonic() < end:
        now = time.monotonic()
        if sent < a.count and sent < (now - t0) * a.rate + 1:
            spi = os.urandom(8)
            if len(pending) >= 4096:  # bounded: forget the oldest
                pending.pop(next(iter(pending)))
            pending[spi] = (os.urandom(32), os.urandom(32))
            s.sendto(ike_init(spi, *pending[spi]), (a.dst, a.port))
            sent += 1
        r, _, _ = select.select([s], [], [], 0.002)
        for _ in range(256):  # drain what arrived, bounded
            if not r:
                break
            try:
                pkt = s.recv(4096)
            except BlockingIOError:
                break
            if len(pkt) < 28 or pkt[18] != IKE_SA_INIT or not pkt[19] & 0x20:
                other += 1
                continue
            spi = pkt[0:8]
            if pkt[16] == PLD_NOTIFY and len(pkt) >= 36 and struct.unpack("!H", pkt[34:36])[0] == N_COOKIE:
                nlen = struct.unpack("!H", pkt[30:32])[0]
                if spi in pending and 8 < nlen <= len(pkt) - 28:
                    s.sendto(ike_init(spi, *pending[spi], cookie=pkt[36:28 + nlen]), (a.dst, a.port))
                    cookies += 1
            elif pkt[8:16] != bytes(8):
                answered += 1  # an SA: half-open at the server, never authenticated
                pending.pop(spi, None)
            else:
                other += 1
    print("echo sent=%d cookies_echoed=%d sa_answers=%d other=%d seconds=%.1f" %
          (sent, cookies, answered, other, time.monotonic() - t0), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["spoof", "echo"])
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, default=500)
    p.add_argument("--net", default="198.51.100")
    p.add_argument("--lo", type=int, default=100)
    p.add_argument("--hi", type=int, default=250)
    p.add_argument("--bind")
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--count", type=int, default=1000000)
    p.add_argument("--seed", type=int, default=9)
    a = p.parse_args()
    if not 0 < a.seconds <= 600:
        sys.exit("--seconds must be in (0, 600]")
    if a.mode == "echo" and not a.bind:
        sys.exit("echo needs --bind")
    spoof(a) if a.mode == "spoof" else echo(a)


if __name__ == "__main__":
    main()
