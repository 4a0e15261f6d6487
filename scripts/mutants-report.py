#!/usr/bin/env python3
"""The mutation report of scripts/mutants: merge one group's cargo-mutants outcomes into
tests/mutants/report.json, and write the score line into README.md.

  mutants-report.py merge GROUP OUTDIR FILE...
  mutants-report.py readme
"""

import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
REPORT = ROOT / "tests" / "mutants" / "report.json"
README = ROOT / "README.md"
MARK = "<!-- mutation score: scripts/mutants writes this line -->"


def sha256(path):
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


def load():
    if REPORT.exists():
        return json.loads(REPORT.read_text())
    return {"tool": "", "groups": {}}


def name_of(outcome):
    """The mutant's name as `cargo mutants --list` prints it (file:line:col: what)."""
    return outcome["scenario"]["Mutant"]["name"]


KINDS = {
    "CaughtMutant": "caught",
    "MissedMutant": "missed",
    "Timeout": "timeout",
    "Unviable": "unviable",
}


def merge(group, outdir, files):
    """One group's outcomes: every mutant of its files now (list.txt, from `cargo mutants
    --list`), each with the outcome of this run, or of an earlier one where this run skipped
    it (`--iterate` skips the mutants caught before)."""
    outdir = pathlib.Path(outdir)
    names = [l for l in (outdir / "list.txt").read_text().splitlines() if l.strip()]
    out = outdir / "mutants.out"
    # With --iterate and every mutant caught before, cargo-mutants tests none and writes no
    # outcomes: the earlier outcomes stand (the mutants are the same, by name and place).
    p = out / "outcomes.json"
    data = json.loads(p.read_text()) if p.exists() else {"outcomes": []}
    new = {}
    for o in data["outcomes"]:
        if o["scenario"] == "Baseline":
            continue
        kind = KINDS.get(o["summary"])
        if kind is None:
            sys.exit(f"{group}: an outcome this script does not know: {o['summary']}")
        new[name_of(o)] = kind
    earlier_caught = set()
    p = out / "previously_caught.txt"
    if p.exists():
        earlier_caught = set(p.read_text().splitlines())
    # previously_caught.txt lumps the unviable with the caught: tell them apart by the
    # earlier run's own list.
    earlier_unviable = set()
    for d in (out, outdir / "mutants.out.old"):
        if (d / "unviable.txt").exists():
            earlier_unviable |= set((d / "unviable.txt").read_text().splitlines())
    report = load()
    earlier = report["groups"].get(group, {}).get("outcomes", {})
    outcomes = {}
    for n in names:
        if n in new:
            outcomes[n] = new[n]
        elif n in earlier and earlier[n] != "missed":
            outcomes[n] = earlier[n]
        elif n in earlier_unviable:
            outcomes[n] = "unviable"
        elif n in earlier_caught:
            outcomes[n] = "caught"
        else:
            sys.exit(f"{group}: {n} was not tested; run scripts/mutants --fresh {group}")
    counts = {k: sum(1 for v in outcomes.values() if v == k) for k in KINDS.values()}
    if "cargo_mutants_version" in data:
        report["tool"] = f"cargo-mutants {data['cargo_mutants_version']}"
    report["groups"][group] = {
        "files": {f: sha256(f) for f in files},
        **counts,
        "missed_mutants": sorted(n for n, v in outcomes.items() if v == "missed"),
        "outcomes": dict(sorted(outcomes.items())),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"{group}: {counts}")


def all_groups():
    """The groups scripts/mutants defines, in its order."""
    text = (ROOT / "scripts" / "mutants").read_text()
    block = text.split("<<'GROUPS'\n", 1)[1].split("\nGROUPS", 1)[0]
    return [l.split(";", 1)[0] for l in block.splitlines() if l.strip()]


def score_line(report):
    tested = caught = 0
    parts = []
    pending = [g for g in all_groups() if g not in report["groups"]]
    for name, g in sorted(report["groups"].items()):
        t = g["caught"] + g["timeout"] + g["missed"]
        c = g["caught"] + g["timeout"]
        tested += t
        caught += c
        parts.append(f"{name} {c}/{t}")
    pct = 100.0 * caught / tested if tested else 0.0
    return (
        f"{MARK}\nMutation score: **{caught} of {tested} mutants caught ({pct:.1f} %)** "
        f"({'; '.join(parts)}; a timeout counts as caught, unviable mutants are not counted"
        + (f"; not yet run: {', '.join(pending)}" if pending else "")
        + "), "
        f"by `scripts/mutants` with {report.get('tool', 'cargo-mutants')}; each survivor's reason "
        f"is in tests/mutants/survivors.md."
    )


def readme():
    report = load()
    text = README.read_text()
    line = score_line(report)
    if MARK in text:
        text = re.sub(re.escape(MARK) + r"\n[^\n]*", lambda _: line, text)
    else:
        sys.exit(f"README.md has no line marked {MARK}")
    README.write_text(text)
    print(line.split("\n")[1])


if __name__ == "__main__":
    if sys.argv[1] == "merge":
        merge(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif sys.argv[1] == "readme":
        readme()
    else:
        sys.exit(__doc__)
