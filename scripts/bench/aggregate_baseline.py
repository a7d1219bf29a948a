#!/usr/bin/env python3
"""The aggregator's counting job in Python's standard library, as the baseline for
functions/aggregate's benchmarks (BenchmarkPythonBaseline runs it on the same file).

Reads a CloudTrail log file (gzipped or not; {"Records": [...]}, a top-level array, or one
record per line), counts records per hour of eventTime (UTC) x (account, principal, source IP,
event name, resource type, error code, event type, region, event source, cloud) with the
aggregator's field rules (shared/counters.Key), and
prints one JSON object: records, malformed, counters, seconds (the job alone, without the
interpreter's start). With --rows it prints the counters first, one JSON object per line with
the keys of `aggregate -json`.

    python3 scripts/bench/aggregate_baseline.py [--rows] FILE
"""
import collections
import datetime
import gzip
import json
import re
import sys
import time


def principal(identity):
    """The identity's ARN, else principal ID, else Identity Center user, invoking service, user name."""
    on_behalf = identity.get("onBehalfOf") or {}
    return (identity.get("arn") or identity.get("principalId") or on_behalf.get("userId")
            or identity.get("invokedBy") or identity.get("userName") or "")


def hour(event_time):
    if len(event_time) == 20 and event_time[10] == "T" and event_time[19] == "Z":
        return event_time[:13]
    t = datetime.datetime.fromisoformat(event_time)
    if t.tzinfo is None:
        raise ValueError("eventTime without a time zone")
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H")


def key(rec):
    """The counter of one record, or ValueError/TypeError/AttributeError when it is malformed."""
    name = rec.get("eventName")
    if not isinstance(name, str) or not name:
        raise ValueError("eventName")
    identity = rec.get("userIdentity") or {}
    account = rec.get("recipientAccountId") or identity.get("accountId")
    if not account:
        raise ValueError("account")
    rtype = ""
    for res in rec.get("resources") or []:
        if isinstance(res, dict) and res.get("type"):
            rtype = res["type"]
            break
    return (hour(rec["eventTime"]), account, principal(identity), rec.get("sourceIPAddress") or "",
            name, rtype, rec.get("errorCode") or "", rec.get("eventType") or "",
            rec.get("awsRegion") or "", rec.get("eventSource") or "", rec.get("cloud") or "")


ENVELOPE = re.compile(r'\s*\{\s*"Records"\s*:\s*\[')
SPACE = re.compile(r"[ \t\n\r]*")


def records(path):
    """The file's records, decoded one at a time (json.JSONDecoder.raw_decode), which is
    twice as fast as json.load of the whole file and frees each record once counted."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as f:
        text = f.read().decode("utf-8")
    m = ENVELOPE.match(text)
    start = m.end() if m else (SPACE.match(text).end() + 1 if text.lstrip().startswith("[") else None)
    if start is None:  # one record per line
        for line in text.splitlines():
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    yield None
        return
    decoder = json.JSONDecoder()
    i = SPACE.match(text, start).end()
    while text[i] != "]":
        rec, i = decoder.raw_decode(text, i)
        yield rec
        i = SPACE.match(text, i).end()
        if text[i] == ",":
            i = SPACE.match(text, i + 1).end()


def main(argv):
    rows = "--rows" in argv
    paths = [a for a in argv if a != "--rows"]
    if len(paths) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    start = time.perf_counter()
    counts = collections.Counter()
    n = malformed = 0
    for rec in records(paths[0]):
        n += 1
        try:
            counts[key(rec)] += 1
        except (ValueError, TypeError, AttributeError, KeyError):
            malformed += 1
    seconds = time.perf_counter() - start
    if rows:
        names = ("hour", "account", "principal", "source_ip", "event_name", "resource_type", "error_code", "event_type",
                 "region", "event_source", "cloud")
        for k in sorted(counts):
            print(json.dumps(dict(zip(names, k), count=counts[k])))
    print(json.dumps({"records": n, "malformed": malformed, "counters": len(counts), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
