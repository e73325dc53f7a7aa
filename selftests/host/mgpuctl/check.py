#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for mgpuctl_test.sh (standard library only).

  check.py fb FILE BPP W H STRIDE OFFSET ENDIAN   write the test pattern into a framebuffer
  check.py png FILE.png BPP W H                   decode the PNG and compare it with the
                                                  pattern as BPP would quantise it
  check.py prom FILE                              validate Prometheus text format; print
                                                  each sample as name|label=value,...|value
  check.py stats ROOT FILE.json                   compare stats --json with the sysfs files
Exits 1 with the reason on stderr when a check fails.
"""
import json
import math
import os
import re
import struct
import sys
import zlib


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


def pattern(x, y):
    return ((x * 4 + y) & 255, (y * 5 + x * 2) & 255, (x * 3 + y * 7 + 11) & 255)


def encode(bpp, big, r, g, b):
    if bpp == 32:
        return bytes((0x5A, r, g, b)) if big else bytes((b, g, r, 0x5A))
    if bpp == 24:
        return bytes((r, g, b)) if big else bytes((b, g, r))
    if bpp in (15, 16):
        if bpp == 16:
            v = (r >> 3) << 11 | (g >> 2) << 5 | b >> 3
        else:
            v = 0x8000 | (r >> 3) << 10 | (g >> 3) << 5 | b >> 3
        return struct.pack(">H" if big else "<H", v)
    return bytes((r,))


def expect(bpp, r, g, b):
    """What a pixel of the pattern should read back as after mgpuctl's conversion."""
    def five(v):
        v >>= 3
        return v << 3 | v >> 2
    if bpp == 16:
        g6 = g >> 2
        return (five(r), g6 << 2 | g6 >> 4, five(b))
    if bpp == 15:
        return (five(r), five(g), five(b))
    if bpp == 8:
        return (r, r, r)
    return (r, g, b)


def cmd_fb(path, bpp, w, h, stride, offset, endian):
    bpp, w, h, stride, offset = map(int, (bpp, w, h, stride, offset))
    big = endian == "big"
    with open(path, "r+b") as f:
        f.seek(offset)
        for y in range(h):
            row = b"".join(encode(bpp, big, *pattern(x, y)) for x in range(w))
            f.write(row + b"\xee" * (stride - len(row)))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG signature")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        if zlib.crc32(kind + body) != crc:
            fail(f"bad CRC in chunk {kind}")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if (depth, ctype, interlace) != (8, 2, 0):
        fail(f"want 8-bit RGB, not interlaced; got depth {depth} type {ctype}")
    raw, bpr, rows, prev = zlib.decompress(idat), w * 3, [], bytearray(w * 3)
    for y in range(h):
        ftype, line = raw[y * (bpr + 1)], bytearray(raw[y * (bpr + 1) + 1:(y + 1) * (bpr + 1)])
        for i in range(bpr):
            a = line[i - 3] if i >= 3 else 0
            c = prev[i - 3] if i >= 3 else 0
            pred = (0, a, prev[i], (a + prev[i]) // 2, paeth(a, prev[i], c))[ftype]
            line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    return w, h, rows


def cmd_png(path, bpp, w, h):
    bpp, w, h = int(bpp), int(w), int(h)
    pw, ph, rows = decode_png(path)
    if (pw, ph) != (w, h):
        fail(f"PNG is {pw}x{ph}, want {w}x{h}")
    for y in range(h):
        for x in range(w):
            got = tuple(rows[y][x * 3:x * 3 + 3])
            want = expect(bpp, *pattern(x, y))
            if got != want:
                fail(f"pixel ({x},{y}) is {got}, want {want}")


NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL}(?:,{LABEL})*)?\}})? (\S+)( -?\d+)?$")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def family_of(name, types):
    for suffix in ("_bucket", "_count", "_sum"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def check_histograms(samples, types):
    series = {}
    for name, labels, value in samples:
        fam = family_of(name, types)
        if types[fam] != "histogram":
            continue
        key = (fam, tuple((k, v) for k, v in labels if k != "le"))
        s = series.setdefault(key, {"buckets": [], "count": None})
        if name.endswith("_bucket"):
            le = dict(labels).get("le")
            if le is None:
                fail(f"{name}: bucket without le")
            s["buckets"].append((float(le), value))
        elif name.endswith("_count"):
            s["count"] = value
    for (fam, _), s in series.items():
        bounds = [b for b, _ in s["buckets"]]
        counts = [c for _, c in s["buckets"]]
        if not bounds or bounds[-1] != math.inf or bounds != sorted(bounds):
            fail(f"{fam}: buckets not ascending or no +Inf")
        if counts != sorted(counts) or s["count"] != counts[-1]:
            fail(f"{fam}: buckets not cumulative or _count != +Inf bucket")


def cmd_prom(path):
    types, helps, seen, done, samples, cur = {}, {}, set(), set(), [], None
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        m = re.match(rf"^# (HELP|TYPE) ({NAME}) (.*)$", line)
        if m:
            kind, name, rest = m.groups()
            if name in done:
                fail(f"line {n}: {name} declared again after its samples")
            if kind == "TYPE":
                if rest not in TYPES or name in types:
                    fail(f"line {n}: bad or repeated TYPE")
                types[name] = rest
            else:
                helps[name] = rest
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(f"line {n}: not a sample: {line}")
        name, value = m.group(1), m.group(7)
        fam = family_of(name, types)
        if fam not in types or fam not in helps:
            fail(f"line {n}: {name} has no HELP and TYPE before it")
        if cur != fam:
            if fam in done:
                fail(f"line {n}: samples of {fam} are not together")
            if cur:
                done.add(cur)
            cur = fam
        labels = re.findall(LABEL, m.group(2) or "")
        keys = [k for k, _ in labels]
        if len(keys) != len(set(keys)):
            fail(f"line {n}: repeated label")
        try:
            v = float(value)
        except ValueError:
            fail(f"line {n}: value {value} is not a number")
        if types[fam] == "counter" and not name.endswith("_total"):
            fail(f"line {n}: counter {name} does not end in _total")
        key = (name, tuple(labels))
        if key in seen:
            fail(f"line {n}: duplicate series")
        seen.add(key)
        samples.append((name, [(k, unescape(v_)) for k, v_ in labels], v))
    check_histograms(samples, types)
    for name, labels, v in samples:
        print(f"{name}|{','.join(k + '=' + v_ for k, v_ in labels)}|{v:g}")


def cmd_stats(root, path):
    doc = json.load(open(path))

    def attr(*parts):
        with open(os.path.join(root, *parts)) as f:
            return f.read().strip()

    def same(got, raw, where):
        want = raw if isinstance(got, str) else int(raw)
        if got != want or isinstance(got, bool):
            fail(f"{where}: stats says {got!r}, sysfs {raw!r}")

    for p in doc["parents"]:
        base = ("class", "mdev_bus", p["name"])
        for k, v in p["mgpu_engine"].items():
            same(v, attr(*base, "mgpu_engine", k), f"{p['name']} mgpu_engine/{k}")
        for t in p["types"]:
            same(t["available_instances"],
                 attr(*base, "mdev_supported_types", t["type"], "available_instances"),
                 f"{p['name']} {t['type']}")
    if not doc["vgpus"]:
        fail("no vgpus")
    for g in doc["vgpus"]:
        base = ("bus", "mdev", "devices", g["uuid"])
        for group in ("mgpu", "engine"):
            for k, v in g[group].items():
                if k == "latency_us":
                    text = " ".join(f"{b['le_us'] if b['le_us'] is not None else 'inf'}:"
                                    f"{b['count']}" for b in v)
                    same(text, attr(*base, group, k), f"{g['uuid']} {group}/{k}")
                else:
                    same(v, attr(*base, group, k), f"{g['uuid']} {group}/{k}")


if __name__ == "__main__":
    cmds = {"fb": cmd_fb, "png": cmd_png, "prom": cmd_prom, "stats": cmd_stats}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        fail(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
