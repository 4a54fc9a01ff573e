#!/bin/sh
# make demo: the continuous-training loop of examples/ct, played over six
# batches of generated loan applications.
#
# Each batch is written into the inbox as an upstream system would (under
# another name, then renamed in), and the CT Makefile runs as cron would
# run it.  The batches are chosen, with fixed seeds, so that every event of
# the loop happens once: the first model, a normal batch, a broken batch
# stopped by validation, drift and a retraining, a candidate rejected by a
# gate, a degradation, a retraining on bad labels and its rollback.  What
# the story says comes from the registry and the run log, which stay in
# $DEMO_DIR (default demo/) to look at afterwards.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
PATH=${ML_BIN:-$top/bin}:$PATH
PYTHON=${PYTHON:-/usr/bin/python3}
demo=${DEMO_DIR:-$top/demo}
rm -rf "$demo"
mkdir -p "$demo/inbox"
cd "$demo"
# the same places as the CT Makefile's, for the few runs the demo makes itself
export ML_HOME="$demo/work" ML_RUN_LOG="$demo/work/runs.ndjson" ML_REGISTRY="$demo/work/registry"
unset ML_PIPELINE_ID

say() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/   /'; }

# ct [ARG...]: the CT loop, as cron runs it; its exit status is kept in $ct
ct() {
	ct=0
	make -s -f "$top/examples/ct/Makefile" "$@" >"$demo/make.out" 2>&1 || ct=$?
	indent <"$demo/make.out"
	cat "$demo/make.out" >>"$demo/ct.log"
}

# arrive N [GEN-OPTION...]: batch N (5000 applications; as in real feeds, a
# few invalid and unreadable rows) lands in the inbox
arrive() {
	n=$1
	shift
	name=$(printf 'batch-%04d.csv.gz' "$n")
	"$PYTHON" "$top/examples/gen-loans.py" --seed 42 --batch "$n" --rows 5000 \
		--invalid 0.002 --broken 0.005 "$@" | gzip -n >"inbox/.$name"
	mv "inbox/.$name" "inbox/$name"
}

short() { cut -c1-19; }   # sha256: and 12 hex digits

say "1. The first batch arrives; the loop validates it and, with no model in production, trains the first one"
arrive 1
ct
echo "   production: $(ml-promote show production -f ndjson | jq -r .model | short)"

say "2. A normal batch: no drift, production still good: no retraining"
arrive 2
ct
jq -rn --slurpfile d work/batch-0002/drift.ndjson --slurpfile m work/batch-0002/production.metrics '
	($d[] | select(.kind == "summary")) as $s
	| "   drift against production: \($s.drifted) of \($s.columns) columns; production AUC on the batch \($m[0].auc * 1000 | round / 1000)"'

say "3. A broken batch (10% of the records break the schema): validation stops it, nothing is trained"
arrive 3 --invalid 0.1
ct
echo "   -> make exits $ct: cron mails this once; the batch is quarantined with its rejects and report:"
ls work/batch-0003 | paste -sd' ' - | indent
head -n 1 work/batch-0003/invalid.ndjson | jq -c '{line, errors: [.errors[] | {field, rule}]}' | indent
ct
echo "   -> the next run passes it by: make exits $ct"

say "4. From batch 4 on, applicants change (higher incomes and loans, a new purpose, \"solar\"): drift, retraining, promotion"
arrive 4 --covariate-drift-from 4
ct
jq -r 'select(.kind == "column" and .drifted) | "   \(.column): \(.method) \(.statistic * 1000 | round / 1000) >= \(.threshold)"' \
	work/batch-0004/drift.ndjson

say "5. On demand, someone tries gradient-boosted trees: 'make retrain ALGO=gbdt'; a gate rejects them"
ct retrain ALGO=gbdt
echo "   the candidate stays in $(ls -d work/batch-0004/retrain-demand-* | sed "s|^|$demo/|")"

say "6. Batch 5's labels follow another rule (upstream changed what \"default\" means): degradation, retraining, promotion"
arrive 5 --covariate-drift-from 4 --concept-drift-from 5
ct

say "7. Batch 6 is back to the old rule: monitoring finds the new model worse than the one before it, and rolls back"
arrive 6 --covariate-drift-from 4
ct

say "8. The weekly retraining (cron: make retrain TRIGGER=schedule) learns from batches 5 and 6; the gates keep production"
ct retrain TRIGGER=schedule

say "9. Nothing new in the inbox: make does nothing, and the run log does not grow"
before=$(wc -l <work/runs.ndjson)
ct
echo "   runs in the log: $before before, $(wc -l <work/runs.ndjson) after; make exits $ct"

say "10. The registry's history: every promotion, rejection and rollback, with its reason"
ml-promote history -f text | cut -c1-160 | indent

say "11. ml-log lineage: what the production model was made from, back to the inbox's files"
ml-log lineage "$(ml-promote path production)" -f text | cut -c1-150 | indent

say "12. ml-report: one offline page of the last batch, for people rather than programs"
last=$(ls -d work/batch-0006/retrain-schedule-*)
ml-report --title "mlpipe CT demo: batch 6" -o "$demo/report.html" work/batch-0006/profile.ndjson \
	work/batch-0006/drift.ndjson "$last/candidate.metrics" "$last/candidate.curves" \
	"$last/candidate.bundle" work/registry
ml-report -f text work/batch-0006/drift.ndjson | head -n 8 | indent
echo "   the page (batch 6's profile, its drift against production, the weekly candidate's evaluation, the registry):"
echo "   $demo/report.html ($(wc -c <"$demo/report.html") bytes, self-contained: open it in any browser)"

say "Done. Look around in $demo: inbox/ and work/ (a directory per batch, work/registry, work/runs.ndjson);"
echo "   make -s -C $demo -f $top/examples/ct/Makefile status"
