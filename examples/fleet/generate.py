#!/usr/bin/env python3
"""Write a fleet scenario: N PLCs, one station each, in one long line, every PLC polled by
the twin's HMI once a second — the scale case for `faultline live` (one endpoint per PLC).

    python3 examples/fleet/generate.py 10000 > fleet.ron
    faultline live fleet.ron --base-port 0 --hours 0.1667 --out out/fleet

Addresses run 10.20.0.1 … 10.20.39.250 (250 a /24). Standard library only."""

import sys


def fleet(n: int) -> str:
    stations, plcs = [], []
    for i in range(n):
        feeds = f', feeds: ["s{i + 1}"]' if i + 1 < n else ""
        stations.append(f'        (name: "s{i}", cycle_s: 1.0, buffer: 10{feeds}),')
        plcs.append(
            f'        (name: "p{i}", stations: ["s{i}"], profile: "modern", '
            f'address: "10.20.{i // 250}.{i % 250 + 1}"),'
        )
    return "\n".join([
        f"// A fleet of {n} PLCs (examples/fleet/generate.py {n}): one station each, polled",
        "// by the HMI once a second. What it shows: how many live endpoints one process serves.",
        "Scenario(",
        f'    name: "Fleet of {n} PLCs",',
        "    seed: 1,",
        "    duration_h: 24.0,",
        "    stations: [",
        *stations,
        "    ],",
        "    plcs: [",
        *plcs,
        "    ],",
        '    hmi: (address: "10.255.255.254", poll_ms: 1000, timeout_ms: 1000),',
        "    schedule: [(at_h: 0.0, action: StartLine)],",
        ")",
        "",
    ])


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 1 <= int(sys.argv[1]) <= 62500:
        sys.exit("usage: generate.py N   (1 to 62500 PLCs)")
    sys.stdout.write(fleet(int(sys.argv[1])))
