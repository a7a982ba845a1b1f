#!/usr/bin/env python3
"""tests/tools/check_trace.py - check a --trace-json file against the
Trace Event Format (the JSON Object Format that chrome://tracing and
ui.perfetto.dev read).

    python3 check_trace.py FILE [--exits N] [--interrupts N] [--stopped S]
                                [--no-stopped]

Checks that FILE parses as JSON; that it is an object whose traceEvents is
a list and whose displayTimeUnit is "ns"; that every event has the fields
its phase needs (M: name and args; X: name, ts, dur >= 0, tid; i: name,
ts, tid, scope; C: name, ts, numeric args) with a pid; that on every track
(a pid and tid, or a counter's name) timestamps never decrease in file
order; and that the slices of a track nest (one that begins inside another
ends inside it).  With --exits, the monitor's track has N slices; with
--interrupts, N interrupt instants; with --stopped S the last event is
the "stopped" instant with status S; with --no-stopped there is none (the
run was ended by a signal).  Prints one line per problem, exits 1 if any.
"""
import json
import sys
from decimal import Decimal

MONITOR_TID = 2


def fail(msg):
    print("check_trace: " + msg)
    sys.exit(1)


def need(ev, i, fields):
    for name, kinds in fields:
        if name not in ev:
            fail("event %d (%s) has no %s: %s" % (i, ev.get("ph"), name, ev))
        if not isinstance(ev[name], kinds) or isinstance(ev[name], bool):
            fail("event %d: %s is not %s: %s" % (i, name, kinds, ev))


def main(argv):
    path, want = argv[1], {}
    args = argv[2:]
    while args:
        opt = args.pop(0)
        if opt == "--no-stopped":
            want[opt] = True
        else:
            want[opt] = int(args.pop(0))
    with open(path, encoding="utf-8") as f:
        try:
            doc = json.load(f, parse_float=Decimal)
        except ValueError as e:
            fail("not JSON: %s" % e)
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail("not an object with a traceEvents list")
    if doc.get("displayTimeUnit") != "ns":
        fail("displayTimeUnit is not \"ns\"")
    num = (int, Decimal)
    last_ts, open_ends = {}, {}
    exits = interrupts = 0
    events = doc["traceEvents"]
    for i, ev in enumerate(events):
        if not isinstance(ev, dict):
            fail("event %d is not an object" % i)
        need(ev, i, [("ph", str), ("pid", int), ("name", str)])
        ph = ev["ph"]
        if ph == "M":
            need(ev, i, [("args", dict)])
            if ev["name"] not in ("process_name", "thread_name",
                                  "thread_sort_index"):
                fail("event %d: unknown metadata %s" % (i, ev["name"]))
            continue
        need(ev, i, [("ts", num)])
        if ev["ts"] < 0:
            fail("event %d: negative ts" % i)
        if ph == "X":
            need(ev, i, [("tid", int), ("dur", num), ("args", dict)])
            if ev["dur"] < 0:
                fail("event %d: negative dur" % i)
            track = ("thread", ev["pid"], ev["tid"])
        elif ph == "i":
            need(ev, i, [("tid", int), ("s", str)])
            if ev["s"] not in ("t", "p", "g"):
                fail("event %d: scope %s" % (i, ev["s"]))
            track = ("thread", ev["pid"], ev["tid"])
        elif ph == "C":
            need(ev, i, [("args", dict)])
            if not ev["args"] or not all(isinstance(v, num) for v in
                                         ev["args"].values()):
                fail("event %d: a counter needs numeric args" % i)
            track = ("counter", ev["pid"], ev["name"])
        else:
            fail("event %d: phase %r is not one this trace writes" % (i, ph))
        ts = ev["ts"]
        if track in last_ts and ts < last_ts[track]:
            fail("event %d: ts %s before %s on track %s" %
                 (i, ts, last_ts[track], track))
        last_ts[track] = ts
        if ph in ("X", "i"):
            stack = open_ends.setdefault(track, [])
            while stack and stack[-1] <= ts:
                stack.pop()
            if ph == "X":
                end = ts + ev["dur"]
                if stack and end > stack[-1]:
                    fail("event %d: slice [%s, %s] overlaps one ending at "
                         "%s without nesting" % (i, ts, end, stack[-1]))
                stack.append(end)
        if ph == "X" and ev["tid"] == MONITOR_TID:
            exits += 1
            for field in ("reason", "exit", "rip"):
                if field not in ev["args"]:
                    fail("event %d: an exit without %s" % (i, field))
        if ph == "i" and ev["name"].startswith("interrupt "):
            interrupts += 1
    stopped = [e for e in events if e.get("ph") == "i" and
               e.get("name") == "stopped"]
    if "--exits" in want and exits != want["--exits"]:
        fail("%d exit slices, expected %d" % (exits, want["--exits"]))
    if "--interrupts" in want and interrupts != want["--interrupts"]:
        fail("%d interrupt instants, expected %d" %
             (interrupts, want["--interrupts"]))
    if "--stopped" in want and (not stopped or events[-1] is not stopped[0]
                                or stopped[0]["args"].get("status") !=
                                want["--stopped"]):
        fail("the last event is not \"stopped\" with status %d" %
             want["--stopped"])
    if "--no-stopped" in want and stopped:
        fail("a \"stopped\" event in a run ended by a signal")
    print("check_trace: %d events, %d exits, %d interrupts" %
          (len(events), exits, interrupts))


if __name__ == "__main__":
    main(sys.argv)
