#!/usr/bin/python3
"""Writes a batch of synthetic loan applications as CSV, deterministically.

The same --seed and --batch always give the same bytes, so the demo and the
tests need no download.  --broken injects rows that ml-ingest must reject
(ragged rows, invalid UTF-8) in the given share of rows."""
import argparse
import math
import random
import sys

PURPOSES = ["car", "home", "education", "business", "medical", "travel"]
REGIONS = ["north", "south", "east", "west"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--broken", type=float, default=0.0,
                    help="share of rows that are broken (0..1)")
    ap.add_argument("--drift", action="store_true",
                    help="covariate drift: higher incomes and loans, more business loans")
    a = ap.parse_args()
    rng = random.Random(a.seed * 100003 + a.batch)
    out = sys.stdout.buffer
    out.write(b"id,age,income,loan_amount,term_months,purpose,region,employed,note,default\n")
    first_id = (a.batch - 1) * a.rows
    for i in range(a.rows):
        rid = first_id + i + 1
        age = rng.randint(18, 80)
        mu = 10.9 if a.drift else 10.5
        income = "" if rng.random() < 0.03 else "%.2f" % rng.lognormvariate(mu, 0.5)
        loan = "%d" % (rng.randint(10, 500 if not a.drift else 900) * 100)
        term = rng.choice([12, 24, 36, 60])
        purpose = rng.choice(PURPOSES + ["business"] * 4 if a.drift else PURPOSES)
        region = rng.choice(REGIONS)
        employed = rng.choice(["true", "true", "true", "false"])
        note = rng.choice(["", "", "repeat customer", "asked for \"quick\" answer", "co-signer, spouse"])
        inc = float(income) if income else 36000.0
        z = -2.0 + 0.00004 * float(loan) - 0.00002 * inc + (0.8 if employed == "false" else 0) \
            + 0.02 * (term - 36) / 12 + rng.gauss(0, 1)
        label = "1" if 1 / (1 + math.exp(-z)) > 0.5 else "0"
        if note and ("," in note or '"' in note):
            note = '"' + note.replace('"', '""') + '"'
        row = f"{rid},{age},{income},{loan},{term},{purpose},{region},{employed},{note},{label}\n".encode()
        if a.broken and rng.random() < a.broken:
            row = rng.choice([
                f"{rid},{age},{income}\n".encode(),                      # ragged
                f"{rid},{age},{income},{loan},{term},{purpose},\xff\xfe,{employed},,{label}\n".encode("latin-1"),
            ])
        out.write(row)


if __name__ == "__main__":
    main()
