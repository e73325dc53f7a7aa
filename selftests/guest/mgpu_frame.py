#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Capture a QEMU guest's display over QMP and compare it with mgpu_guest_drm_test's frame.

Usage: mgpu_frame.py <QMP socket> <out dir> <W>x<H> <seed>
Asks QEMU for a 'screendump' into <out dir>/guest-frame.ppm, compares every pixel
with frame_pixel() of mgpu_guest_drm_test.c (up to CAPTURES times, RETRY_S apart) and writes the capture as guest-frame.png;
keeps the PPM, and writes the expected frame as guest-frame-expected.png, only on a
mismatch.
Prints one summary line, then diagnostics as '# ' lines. Exits 0 when every pixel
matches, 1 when some differ, 2 when there is no capture to compare.
"""
import json
import os
import socket
import struct
import sys
import time
import zlib

CAPTURES = 15  # screendumps before a frame is called wrong: 28 s for a late blit
RETRY_S = 2  # seconds between them


def frame_rows(width, height, seed):
    """The guest's frame as RGB bytes: frame_pixel() in mgpu_guest_drm_test.c."""
    sr, sg, sb = seed >> 16 & 0xff, seed >> 8 & 0xff, seed & 0xff
    red = bytes((x & 0xff) ^ sr for x in range(width))
    blue = [bytes(((x >> 8 & 0xf) | yhi << 4) ^ sb for x in range(width))
            for yhi in range(16)]
    rows = []
    for y in range(height):
        row = bytearray(width * 3)
        row[0::3] = red
        row[1::3] = bytes([(y & 0xff) ^ sg]) * width
        row[2::3] = blue[y >> 8 & 0xf]
        rows.append(bytes(row))
    return b"".join(rows)


def origin(rgb, seed):
    """The frame coordinates a captured pixel's value encodes."""
    r, g, b = (c ^ (seed >> s & 0xff) for c, s in zip(rgb, (16, 8, 0)))
    return r | (b & 0xf) << 8, g | (b >> 4) << 8


def qmp(sock_path, command, arguments, timeout=120):
    """Run one QMP command; return its 'return' value or raise RuntimeError."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        f = s.makefile("rw")
        f.readline()                    # the greeting
        for cmd, args in (("qmp_capabilities", {}), (command, arguments)):
            f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
            f.flush()
            while True:
                line = f.readline()
                if not line:
                    raise RuntimeError(f"QMP closed during {cmd}")
                reply = json.loads(line)
                if "error" in reply:
                    raise RuntimeError(f"{cmd}: {reply['error'].get('desc', reply)}")
                if "return" in reply:
                    break
        return reply["return"]


def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM with 8-bit samples."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"{path}: not an 8-bit P6 PPM")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + width * height * 3]
    if len(pixels) != width * height * 3:
        raise ValueError(f"{path}: truncated")
    return width, height, pixels


def write_png(path, width, height, rgb):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body)))

    stride = width * 3
    raw = b"".join(b"\0" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def compare(got, width, height, seed):
    """(mismatching pixels, first bad (x, y) or None, expected RGB bytes)."""
    stride = width * 3
    want = frame_rows(width, height, seed)
    if got == want:
        return 0, None, want
    bad, first = 0, None
    for y in range(height):
        row = slice(y * stride, (y + 1) * stride)
        if got[row] == want[row]:
            continue
        for x in range(width):
            i = y * stride + 3 * x
            if got[i:i + 3] != want[i:i + 3]:
                bad += 1
                first = first or (x, y)
    return bad, first, want


def capture(sock_path, ppm):
    """One screendump; (width, height, pixels), or an error string."""
    try:
        qmp(sock_path, "screendump", {"filename": ppm})
        return read_ppm(ppm)
    except (OSError, RuntimeError, ValueError) as e:
        return f"no capture: {e}"


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sock_path, out_dir, mode, seed = sys.argv[1:]
    width, height = (int(v) for v in mode.split("x"))
    seed = int(seed, 0)
    ppm = os.path.join(out_dir, "guest-frame.ppm")
    # The guest's fsync() flushes fbdev's deferred I/O, but DRM's fbdev helper blits the
    # damage to VRAM from a worker of its own afterwards: a first capture can miss the
    # last pages. Retry a few times before calling a frame wrong.
    for attempt in range(1, CAPTURES + 1):
        if attempt > 1:
            time.sleep(RETRY_S)
        got = capture(sock_path, ppm)
        if isinstance(got, str):
            print(got)
            return 2
        got_w, got_h, got = got
        if (got_w, got_h) != (width, height):
            continue
        bad, first, want = compare(got, width, height, seed)
        if not bad:
            break
    write_png(os.path.join(out_dir, "guest-frame.png"), got_w, got_h, got)
    if (got_w, got_h) != (width, height):
        print(f"captured {got_w}x{got_h}, the guest drew {width}x{height}")
        return 1
    if not bad:
        os.unlink(ppm)
        print(f"{width}x{height}, all {width * height} pixels match"
              f" (capture {attempt} of {CAPTURES})")
        return 0
    write_png(os.path.join(out_dir, "guest-frame-expected.png"), width, height, want)
    x, y = first
    i = (y * width + x) * 3
    ox, oy = origin(got[i:i + 3], seed)
    print(f"{bad} of {width * height} pixels differ in each of {CAPTURES} captures")
    print(f"# first at ({x},{y}): #{got[i:i + 3].hex()}, expected #{want[i:i + 3].hex()},"
          f" which the guest drew at ({ox},{oy})")
    print(f"# capture: {ppm}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
