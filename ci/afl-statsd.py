#!/usr/bin/env python3
"""Live counts of AFL++ instances for ci/fuzz.sh's status line.

usage: ci/afl-statsd.py DIR NAME...

AFL++ 4.04c writes fuzzer_stats once a minute, but with AFL_STATSD=1 it
sends its counts (fuzzing.execs_done:N|g, ...) by UDP every second, also
while it calibrates. This binds one UDP port on 127.0.0.1 per NAME (the
kernel picks it), writes "NAME PORT" lines to DIR/ports, then keeps the
latest values of each instance in DIR/NAME ("key value" lines without the
"fuzzing." prefix, replaced atomically). It runs until SIGTERM.
"""
import os
import selectors
import signal
import socket
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    sel = selectors.DefaultSelector()
    lines = []
    for name in sys.argv[2:]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        sel.register(s, selectors.EVENT_READ, name)
        lines.append(f"{name} {s.getsockname()[1]}\n")
    tmp = os.path.join(out, "ports.tmp")
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.replace(tmp, os.path.join(out, "ports"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    values = {}
    while True:
        for key, _ in sel.select():
            data = key.fileobj.recv(65536).decode("ascii", "replace")
            v = values.setdefault(key.data, {})
            for line in data.splitlines():
                metric, _, rest = line.partition(":")
                if metric.startswith("fuzzing.") and rest:
                    v[metric[len("fuzzing."):]] = rest.split("|")[0]
            tmp = os.path.join(out, key.data + ".tmp")
            with open(tmp, "w") as f:
                f.writelines(f"{k} {v[k]}\n" for k in sorted(v))
            os.replace(tmp, os.path.join(out, key.data))


if __name__ == "__main__":
    main()
