#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Judge mgpu's test results: TAP streams, the job's plan and results, VM consoles.

Usage: tapsum.py <result dir>...
Each result dir holds *.tap files and, for a VM run, plan, results, console.log,
vm.rc. Prints one line per test and ends with 'N passed, N failed, N skipped'.
Exits 1 if anything failed.

A run fails on: a 'not ok' line; a TAP stream without a plan, or with fewer results
than its plan; a planned test that never reported; a test that timed out or exited
non-zero without a failing line; a VM that timed out or died; any kernel-bug line
(BUG:, WARNING:, Oops, general protection, KASAN, a hung task) on a VM console.
"""
import os
import re
import sys

KERNEL_BUG = re.compile(r"BUG:|WARNING:|Oops|general protection|KASAN|Kernel panic|"
                        r"INFO: task .* blocked for more than")
RESULT = re.compile(r"^(not ok|ok)\s+(\d+)\s*-?\s*(.*?)\s*$")
PLAN = re.compile(r"^1\.\.(\d+)")


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, kind, name, why=""):
        if kind == "PASS":
            self.passed += 1
        elif kind == "SKIP":
            self.skipped += 1
        else:
            self.failed += 1
        print(f"{kind} {name}{(': ' + why) if why else ''}")


def parse_tap(path):
    """Return (plan or None, [(ok, name, directive)])."""
    plan, results = None, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith((" ", "\t")):
                continue
            m = PLAN.match(line)
            if m and plan is None:
                plan = int(m.group(1))
                continue
            m = RESULT.match(line)
            if m:
                ok = m.group(1) == "ok"
                name, _, directive = m.group(3).partition("#")
                results.append((ok, name.strip(), directive.strip()))
    return plan, results


def judge_tap(tally, label, path, status=None):
    plan, results = parse_tap(path)
    failed_before = tally.failed
    for ok, name, directive in results:
        full = f"{label}: {name}"
        if directive.upper().startswith("SKIP"):
            tally.add("SKIP", full, directive[4:].strip())
        elif ok or directive.upper().startswith("TODO"):
            tally.add("PASS", full)
        else:
            tally.add("FAIL", full)
    if plan is None:
        tally.add("FAIL", label, "no TAP plan (the test crashed or never started)")
    elif len(results) != plan:
        tally.add("FAIL", label, f"{len(results)} results for a plan of {plan}")
    if status is not None and status not in (0, 4) and tally.failed == failed_before:
        why = "timed out" if status in (124, 137) else f"exited with status {status}"
        tally.add("FAIL", label, why)


def read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return [line.rstrip("\n") for line in f]
    except FileNotFoundError:
        return None


def judge_dir(tally, d):
    run = os.path.basename(os.path.normpath(d))
    plan = read_lines(os.path.join(d, "plan"))
    is_vm = any(os.path.exists(os.path.join(d, f)) for f in ("vm.rc", "console.log"))
    if plan is None and is_vm:
        log = read_lines(os.path.join(d, "job.log")) or []
        why = log[0].strip() if log else "no job output"
        tally.add("FAIL", f"{run}/vm", f"the VM job ran no test ({why})")
        plan = []
    if plan is None:   # host tier: every *.tap stands alone
        for f in sorted(os.listdir(d)):
            if f.endswith(".tap"):
                st = read_lines(os.path.join(d, f[:-4] + ".rc"))
                status = int(st[0]) if st else None
                judge_tap(tally, f"{run}/{f[:-4]}", os.path.join(d, f), status)
        return
    planned_tiers = {line.split()[0] for line in plan if line.split()}
    for tier in (read_lines(os.path.join(d, "tiers")) or [""])[0].split():
        if tier not in planned_tiers:
            tally.add("FAIL", f"{run}/{tier}", "the tier was asked for but planned no test")
    results = {}
    for line in read_lines(os.path.join(d, "results")) or []:
        parts = line.split()   # tier name status [seconds]
        if len(parts) in (3, 4):
            results[(parts[0], parts[1])] = int(parts[2])
    for line in plan:
        parts = line.split()
        if len(parts) != 2:
            continue
        tier, name = parts
        label = f"{run}/{tier}-{name}"
        tap = os.path.join(d, f"{tier}-{name}.tap")
        if (tier, name) not in results:
            tally.add("FAIL", label, "never reported (the VM stopped first)")
        elif not os.path.exists(tap):
            tally.add("FAIL", label, "no TAP output")
        else:
            judge_tap(tally, label, tap, results[(tier, name)])
    vmrc = read_lines(os.path.join(d, "vm.rc"))
    if vmrc and vmrc[0] not in ("0", ""):
        why = {"124": "the VM timed out", "125": "the VM died without a status"}
        tally.add("FAIL", f"{run}/vm", why.get(vmrc[0], f"VM job status {vmrc[0]}"))
    for log in ("console.log", "dmesg.txt", "guest-console.log"):
        for line in read_lines(os.path.join(d, log)) or []:
            if KERNEL_BUG.search(line):
                tally.add("FAIL", f"{run}/{log}", line.strip())
                break


def main(argv):
    tally = Tally()
    for d in argv[1:]:
        if os.path.isdir(d):
            judge_dir(tally, d)
        else:
            tally.add("FAIL", d, "no results")
    print(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
