#!/usr/bin/env python3
"""Writes the seed corpus for event_validation_fuzz: a few valid EventBatch messages, encoded by
hand in the protobuf wire format (no python protobuf package needed)."""
import os
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    if wire == 2:
        return key + varint(len(payload)) + payload
    if wire == 5:
        return key + payload
    raise ValueError(wire)


def event(seq, kind, at_ms, phase=0, duration=0, descriptor=None, distance=None, detail=b""):
    msg = field(1, 2, b"s-seed") + field(2, 0, seq) + field(3, 0, kind)
    if phase:
        msg += field(4, 0, phase)
    msg += field(5, 0, at_ms)
    if duration:
        msg += field(6, 0, duration)
    if descriptor:
        msg += field(7, 2, b"".join(struct.pack("<f", v) for v in descriptor))
    msg += field(8, 5, struct.pack("<f", -1.0 if distance is None else distance))
    msg += field(9, 0, (1 << 64) - 1)  # face_count -1 as a 64-bit varint
    if detail:
        msg += field(11, 2, detail)
    msg += field(12, 2, bytes(32))
    return msg


def batch(events):
    return b"".join(field(1, 2, e) for e in events) + field(2, 2, bytes(64))


seeds = {
    "heartbeats": batch([event(1, 11, 0), event(2, 11, 1000)]),
    "identity": batch([event(1, 2, 500, descriptor=[0.01 * i for i in range(128)], distance=0.3)]),
    "absence": batch([event(3, 4, 2000, phase=1), event(4, 4, 9000, phase=2, duration=7000,
                                                          detail="visage absent".encode())]),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
