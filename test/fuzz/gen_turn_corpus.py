#!/usr/bin/env python3
# Writes the seed corpus of fuzz_turn (test/fuzz/corpus/turn/): the four RFC 5769
# sample messages, and server answers made for the fuzz target's client (every
# transaction ID twelve 0xA5 bytes, long-term key bytes 0..15), alone and as one
# list of records (2-byte length, bytes) that takes the client to ALLOCATED.
#   python3 test/fuzz/gen_turn_corpus.py test/fuzz/corpus/turn
import hashlib, hmac, ipaddress, os, struct, sys, zlib

COOKIE = 0x2112A442
TID = b"\xa5" * 12
KEY = bytes(range(16))


def mtype(method, cls):
    return (method & 0xF) | (method & 0x70) << 1 | (method & 0xF80) << 2 | (cls & 1) << 4 | (cls & 2) << 7


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def xaddr(ip, port):
    a = ipaddress.ip_address(ip)
    mask = struct.pack("!I", COOKIE) + TID
    raw = a.packed
    x = bytes(b ^ mask[i] for i, b in enumerate(raw))
    return struct.pack("!BBH", 0, 1 if a.version == 4 else 2, port ^ (COOKIE >> 16)) + x


def msg(method, cls, attrs, mi=False, fp=True):
    body = b"".join(attrs)
    hdr = lambda n: struct.pack("!HHI", mtype(method, cls), n, COOKIE) + TID
    if mi:
        mac = hmac.new(KEY, hdr(len(body) + 24) + body, hashlib.sha1).digest()
        body += attr(0x0008, mac)
    if fp:
        crc = zlib.crc32(hdr(len(body) + 8) + body) ^ 0x5354554E
        body += attr(0x8028, struct.pack("!I", crc))
    return hdr(len(body)) + body


def err(code, text):
    return struct.pack("!HBB", 0, code // 100, code % 100) + text


RFC5769 = {
    "rfc5769_request": "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573742063"
    "6c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf",
    "rfc5769_response_v4": "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96",
    "rfc5769_response_v6": "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf11784c97c8292c275"
    "bfe3ed4180280004c8fb0b4c",
    "rfc5769_request_lt": "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383"
    "e382afe382b90000001500" "1c662f2f3439396b393534643"
    "64f4c33346f4c394653547679363473410014000b6578616d706c652e6f726700000800"
    "14f67024656dd64a3e02b8e0712e85c9a28ca89666",
}

ALLOCATE, REFRESH, SEND, DATA, PERM, CHAN = 3, 4, 6, 7, 8, 9
m401 = msg(ALLOCATE, 3, [attr(0x0009, err(401, b"Unauthorized")), attr(0x0014, b"fuzz.example"),
                         attr(0x0015, b"n0")])
ok = msg(ALLOCATE, 2, [attr(0x0016, xaddr("192.0.2.10", 49152)), attr(0x000D, struct.pack("!I", 600)),
                       attr(0x0020, xaddr("198.51.100.20", 61000))], mi=True)
data = msg(DATA, 1, [attr(0x0012, xaddr("203.0.113.5", 5000)), attr(0x0013, b"hello")], fp=False)
perm = msg(PERM, 2, [], mi=True)
chan = msg(CHAN, 2, [], mi=True)
stale = msg(REFRESH, 3, [attr(0x0009, err(438, b"Stale Nonce")), attr(0x0014, b"fuzz.example"),
                         attr(0x0015, b"n1")])
refresh = msg(REFRESH, 2, [attr(0x000D, struct.pack("!I", 600))], mi=True)
v6 = msg(DATA, 1, [attr(0x0012, xaddr("2001:db8::5", 7)), attr(0x0013, b"v6")], fp=False)
cdata = struct.pack("!HH", 0x4000, 4) + b"abcd"
a437 = msg(ALLOCATE, 3, [attr(0x0009, err(437, b"Allocation Mismatch"))], mi=True)

seeds = dict((k, bytes.fromhex(v)) for k, v in RFC5769.items())
seeds.update({"allocate_401": m401, "allocate_ok": ok, "data_indication": data, "data_indication_v6": v6,
              "channel_data": cdata, "refresh_438": stale, "allocate_437": a437})
recs = [m401, ok, data, perm, chan, cdata, stale, refresh, v6]
seeds["session_records"] = b"".join(struct.pack("!H", len(r)) + r for r in recs)

out = sys.argv[1] if len(sys.argv) > 1 else "test/fuzz/corpus/turn"
os.makedirs(out, exist_ok=True)
for name, b in sorted(seeds.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)
