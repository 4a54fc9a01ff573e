#!/usr/bin/python3
"""Write a batch of synthetic loan applications as CSV, deterministically.

Each row is an application: id, age, income (missing for about 3%),
loan_amount, term_months, purpose, region, employed, a free-text note, and
the label, default (1 when the loan went bad).  The label depends on the
loan amount, the income, employment, the term and the region, with noise.

The same options always give the same bytes (no clock, no download), so the
demo and the tests can make their data on the spot.  A batch's ids follow
the previous batch's: batch N of R rows holds ids (N-1)*R+1 .. N*R.

Faults, each in its own kind, for the continuous-training example:
  covariate drift  the applicants change: higher incomes and loan amounts,
                   more business loans, and a purpose never seen before
                   ("solar"); the label still follows the same rule
  concept drift    the rule changes: income now raises the risk instead of
                   lowering it, and the riskiest region flips from south to
                   north, so a model trained before does worse
  invalid rows     readable CSV that breaks the schema: an age in words
                   ("forty"), an age out of range (-1, 250), or no loan_amount
  broken rows      rows ml-ingest cannot read: ragged, or invalid UTF-8

Invalid and broken rows come from a random stream of their own, so a batch
with --invalid holds the same applications as the batch without, some of
them spoiled."""
import argparse
import math
import random
import sys

PURPOSES = ["car", "home", "education", "business", "medical", "travel"]
REGIONS = ["north", "south", "east", "west"]
AGE_WORDS = ["forty", "thirty-two", "sixty", "n/a years"]


def share(text):
    """A share of rows: a number from 0 to 1."""
    x = float(text)
    if not 0 <= x <= 1:
        raise argparse.ArgumentTypeError("%s is not a share from 0 to 1" % text)
    return x


def options():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: gen-loans.py --batch 4 --covariate-drift-from 4 | gzip -n > batch-0004.csv.gz")
    ap.add_argument("--seed", type=int, default=42,
                    help="the seed of the whole series (default 42)")
    ap.add_argument("--batch", type=int, default=1,
                    help="the batch number, from 1: another seed within the series, "
                         "and the first id (default 1)")
    ap.add_argument("--rows", type=int, default=1000,
                    help="rows in the batch (default 1000)")
    ap.add_argument("--drift", action="store_true",
                    help="covariate drift in this batch, whatever its number")
    ap.add_argument("--covariate-drift-from", type=int, metavar="N",
                    help="covariate drift in batch N and every batch after it")
    ap.add_argument("--concept-drift-from", type=int, metavar="N",
                    help="concept drift in batch N and every batch after it")
    ap.add_argument("--invalid", type=share, default=0.0, metavar="SHARE",
                    help="share of rows (0..1) that break the schema but are readable CSV")
    ap.add_argument("--broken", type=share, default=0.0, metavar="SHARE",
                    help="share of rows (0..1) that ml-ingest cannot read")
    return ap.parse_args()


def from_batch(first, batch):
    return first is not None and batch >= first


def main():
    a = options()
    covariate = a.drift or from_batch(a.covariate_drift_from, a.batch)
    concept = from_batch(a.concept_drift_from, a.batch)
    rng = random.Random(a.seed * 100003 + a.batch)
    # faults draw from their own stream: the applications stay the same
    faults = random.Random(a.seed * 100003 + a.batch + 7777777)
    purposes = PURPOSES + ["business"] * 3 + ["solar"] * 2 if covariate else PURPOSES
    out = sys.stdout.buffer
    out.write(b"id,age,income,loan_amount,term_months,purpose,region,employed,note,default\n")
    first_id = (a.batch - 1) * a.rows
    for i in range(a.rows):
        rid = first_id + i + 1
        age = rng.randint(18, 80)
        mu = 10.8 if covariate else 10.5
        income = "" if rng.random() < 0.03 else "%.2f" % rng.lognormvariate(mu, 0.5)
        loan = "%d" % (rng.randint(10, 700 if covariate else 500) * 100)
        term = rng.choice([12, 24, 36, 60])
        purpose = rng.choice(purposes)
        region = rng.choice(REGIONS)
        employed = rng.choice(["true", "true", "true", "false"])
        note = rng.choice(["", "", "repeat customer", "asked for \"quick\" answer", "co-signer, spouse"])
        inc = float(income) if income else 36000.0
        if concept:
            # the new rule: income raises the risk, the north is the risky region
            z = -2.0 + 0.00004 * float(loan) + 0.00001 * (inc - 36000) \
                + (1.0 if region == "north" else 0)
        else:
            z = -2.0 + 0.00004 * float(loan) - 0.00002 * inc \
                + (0.6 if region == "south" else 0)
        z += (0.8 if employed == "false" else 0) + 0.02 * (term - 36) / 12 + rng.gauss(0, 1)
        label = "1" if 1 / (1 + math.exp(-z)) > 0.5 else "0"
        if note and ("," in note or '"' in note):
            note = '"' + note.replace('"', '""') + '"'
        if a.invalid and faults.random() < a.invalid:
            kind = faults.randrange(3)
            if kind == 0:
                age = faults.choice(AGE_WORDS)
            elif kind == 1:
                age = faults.choice([-1, 250])
            else:
                loan = ""
        row = f"{rid},{age},{income},{loan},{term},{purpose},{region},{employed},{note},{label}\n".encode()
        if a.broken and faults.random() < a.broken:
            row = faults.choice([
                f"{rid},{age},{income}\n".encode(),                      # ragged
                f"{rid},{age},{income},{loan},{term},{purpose},\xff\xfe,{employed},,{label}\n".encode("latin-1"),
            ])
        out.write(row)


if __name__ == "__main__":
    main()
