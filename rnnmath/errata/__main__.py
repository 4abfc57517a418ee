"""``python -m rnnmath.errata [--json] [--note FILE] [--run]``: print the registry."""
from __future__ import annotations

import argparse
import json
import sys

from . import records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnmath.errata", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the records as a JSON list")
    parser.add_argument("--note", help="only the records of this note file")
    parser.add_argument("--run", action="store_true", help="also execute each check and report the outcome")
    args = parser.parse_args(argv)
    recs = records(args.note)
    rows = []
    for r in recs:
        d = r.as_dict()
        if args.run:
            out = r.run()
            d["status"] = out.status
            d["ok"] = out.ok
        rows.append(d)
    if args.json:
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    width = max([len("equation")] + [len(d["equation"]) for d in rows])
    header = f"{'note':<26} {'equation':<{width}} {'kind':<12} summary"
    print(header)
    print("-" * len(header))
    for d in rows:
        flag = "" if not args.run else f"  [{d['status']}]"
        print(f"{d['note']:<26} {d['equation']:<{width}} {d['kind']:<12} {d['summary']}{flag}")
    print(f"\n{len(rows)} discrepancies")
    if args.run and not all(d["ok"] for d in rows):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
