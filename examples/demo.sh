#!/bin/sh
# make demo: the head of a continuous-training pipeline on generated data.
# Ingest a compressed batch (bad rows kept aside), split it reproducibly,
# show the lineage the run log recorded, profile the training data, infer a
# schema from it and hold later batches to it, check two later batches for
# drift, as a cron job would, then train, evaluate and use a model.
set -eu
cd "$(dirname "$0")/.."
PATH=$PWD/bin:$PATH
demo=$PWD/demo
rm -rf "$demo"
mkdir -p "$demo"
export ML_HOME="$demo/.ml"
export ML_PIPELINE_ID="demo-$(date -u +%Y%m%dT%H%M%SZ)"
unset ML_RUN_LOG

say() { printf '\n== %s\n' "$*"; }

say "1. A new batch arrives: 5000 loan applications, 1% of the rows broken"
/usr/bin/python3 examples/gen-loans.py --batch 1 --rows 5000 --broken 0.01 | gzip -n > "$demo/batch1.csv.gz"
ls -l "$demo/batch1.csv.gz" | awk '{print "   " $NF ": " $5 " bytes (gzip)"}'

say "2. ml-ingest: CSV.gz -> NDJSON records; unreadable rows go to rejects.ndjson"
ml-ingest -v "$demo/batch1.csv.gz" --reject "$demo/rejects.ndjson" -o "$demo/batch1.ndjson"
echo "   first record:"
head -n 1 "$demo/batch1.ndjson" | sed 's/^/   /'
echo "   first reject:"
head -n 1 "$demo/rejects.ndjson" | sed 's/^/   /'

say "3. ml-split: 80/20 by a hash of the id (the same split on every machine, every run)"
ml-split -v --key id --ratio train=0.8,test=0.2 \
	-o train="$demo/train.ndjson" -o test="$demo/test.ndjson" "$demo/batch1.ndjson"
ml-split --key id --ratio train=0.8,test=0.2 --no-run-log \
	-o train="$demo/train2.ndjson" -o test="$demo/test2.ndjson" "$demo/batch1.ndjson"
cmp -s "$demo/train.ndjson" "$demo/train2.ndjson" && echo "   split again: byte-identical train set"

say "4. Lineage: every run appended a line to $ML_HOME/runs.ndjson"
jq -r '"   \(.tool) exit \(.exit): in \([.inputs[] | "\(.path|split("/")|last) \(.sha256[7:19])"] | join(", ")) -> out \([.outputs[] | "\(.path|split("/")|last) \(.sha256[7:19])"] | join(", "))"' \
	"$ML_HOME/runs.ndjson" | head -n 2
ingest_out=$(jq -r 'select(.tool=="ml-ingest") | .outputs[0].sha256' "$ML_HOME/runs.ndjson")
split_in=$(jq -r 'select(.tool=="ml-split") | .inputs[0].sha256' "$ML_HOME/runs.ndjson" | head -n 1)
[ "$ingest_out" = "$split_in" ] && echo "   ml-split read exactly what ml-ingest wrote: $ingest_out"
echo "   $(sha256sum "$demo/batch1.ndjson" | cut -c1-64) (sha256sum of batch1.ndjson, for comparison)"

say "5. ml-stats: the training data's profile, what a model will have learned from"
ml-stats "$demo/train.ndjson" > "$demo/train.profile"
ml-stats -f text "$demo/train.ndjson" | sed 's/^/   /'

say "6. ml-validate: a schema inferred from the training profile (ranges widened by 10%)"
ml-validate --infer --margin 0.1 "$demo/train.profile" > "$demo/inferred.json"
# edited as a person would: ids grow from batch to batch, so no range for them
jq '.fields.id |= del(.min, .max) | .records = {min: 1000}' "$demo/inferred.json" > "$demo/schema.json"
jq -c '.fields | to_entries[1:4][] | {(.key): .value}' "$demo/schema.json" | sed 's/^/   /'
echo "   ..."
/usr/bin/python3 examples/gen-loans.py --batch 2 --rows 5000 | ml-ingest --format csv > "$demo/batch2.ndjson"
ml-validate -s "$demo/schema.json" "$demo/batch2.ndjson" > /dev/null && echo "   batch 2 holds to it: exit 0"
# a batch where an upstream change wrote negative ages and a new purpose
jq -c 'if .id % 40 == 0 then .age = -1 elif .id % 45 == 0 then .purpose = "crypto" else . end' \
	"$demo/batch2.ndjson" > "$demo/batch2-bad.ndjson"
ml-validate -s "$demo/schema.json" --reject "$demo/invalid.ndjson" "$demo/batch2-bad.ndjson" \
	> /dev/null 2> "$demo/validate.txt" && status=0 || status=$?
sed 's/^/   /' "$demo/validate.txt"
echo "   first invalid record, with why:"
head -n 1 "$demo/invalid.ndjson" | jq -c '{line, errors: [.errors[] | {field, rule, message}]}' | sed 's/^/   /'
[ "$status" -eq 1 ] && echo "   -> exit 1: the pipeline stops here; nothing bad reaches training"

say "7. ml-drift: a normal batch against the training profile (exit 0: no drift)"
# ids differ from batch to batch by design: they are no feature
ml-drift --exclude id -f text -o "$demo/drift2.txt" "$demo/train.profile" "$demo/batch2.ndjson" && status=0 || status=$?
tail -n 1 "$demo/drift2.txt" | sed 's/^/   /'
[ "$status" -eq 0 ] && echo "   -> exit 0: nothing to do"

say "8. ml-drift: a batch whose applicants changed (exit 1: drift, time to retrain)"
/usr/bin/python3 examples/gen-loans.py --batch 3 --rows 5000 --drift | ml-ingest --format csv > "$demo/batch3.ndjson"
# income and loan amount drive the default risk: a change there alone is drift
ml-drift --exclude id --critical income,loan_amount -o "$demo/drift3.ndjson" \
	"$demo/train.profile" "$demo/batch3.ndjson" && status=0 || status=$?
jq -r 'select(.kind == "column" and .drifted) | "   \(.column): \(.method) \(.statistic) >= \(.threshold)"' "$demo/drift3.ndjson"
jq -r 'select(.kind == "summary") | "   \(.drifted) of \(.columns) columns drifted; critical: \(.critical_drifted | join(", "))"' "$demo/drift3.ndjson"
[ "$status" -eq 1 ] && echo "   -> exit 1: a cron job would run 'make retrain' now"

say "9. ml-train: a model, cross-validated, as one reproducible bundle"
ml-train -v --target default --algo logistic --exclude id --grid C=0.1,1 --cv 5 --seed 1 \
	-o "$demo/model.bundle" "$demo/train.ndjson"
ml-train --target default --algo logistic --exclude id --grid C=0.1,1 --cv 5 --seed 1 --no-run-log \
	-o "$demo/model2.bundle" "$demo/train.ndjson"
cmp -s "$demo/model.bundle" "$demo/model2.bundle" && echo "   trained again: byte-identical bundle $(sha256sum "$demo/model.bundle" | cut -c1-16)..."
tar tf "$demo/model.bundle" | tr '\n' ' ' | sed 's/^/   members: /'; echo

say "10. ml-eval: the model on the held-out records, with a requirement a deployment gate would set"
ml-eval "$demo/model.bundle" "$demo/test.ndjson" --slice region --bootstrap 200 \
	--require '.auc >= 0.7' -o "$demo/test.metrics" && status=0 || status=$?
jq -r 'select(.slice == "overall") | "   auc \(.auc*1000|round/1000) (95% interval \(.auc_ci|map(.*1000|round/1000)|join(" to "))), accuracy \(.accuracy*1000|round/1000)"' "$demo/test.metrics"
jq -r 'select(.slice != "overall") | "   \(.slice): auc \(.auc*1000|round/1000) on \(.records) records"' "$demo/test.metrics"
[ "$status" -eq 0 ] && echo "   -> exit 0: the requirement holds"

say "11. ml-predict: score batch 2, explaining each score"
ml-predict --explain "$demo/model.bundle" "$demo/batch2.ndjson" > "$demo/scored2.ndjson"
head -n 1 "$demo/scored2.ndjson" | jq -c '{id, prediction, probability, contributions}' | sed 's/^/   /'

say "12. ml-promote: the first model goes to production through its gates (the stage is empty)"
ml-promote promote "$demo/model.bundle" --to production -m "$demo/test.metrics" \
	--min auc=0.7 --gate '.current == null or .candidate.auc >= .current.auc' \
	--reason "first model" -f text | sed 's/^/   /'
echo "   serving from: $(ml-promote path production)"

say "13. Two candidates trained on batches 1 and 2, judged against production on the same held-out records"
cat "$demo/train.ndjson" "$demo/batch2.ndjson" > "$demo/train12.ndjson"
ml-eval "$(ml-promote path production)" "$demo/test.ndjson" -o "$demo/production.metrics"
ml-train --target default --algo gbdt --exclude id --seed 1 -o "$demo/gbdt.bundle" "$demo/train12.ndjson"
ml-eval "$demo/gbdt.bundle" "$demo/test.ndjson" -o "$demo/gbdt.metrics"
ml-promote promote "$demo/gbdt.bundle" --to production -m "$demo/gbdt.metrics" \
	--current-metrics "$demo/production.metrics" --require-current --no-worse auc:0.005 \
	--reason "retrained on batches 1-2 (trees)" -f text 2>/dev/null | sed 's/^/   /' && status=0 || status=$?
echo "   -> exit 1: rejected, production unchanged; the rejection and its reasons are in the history"
ml-train --target default --algo logistic --exclude id --grid C=0.1,1 --cv 5 --seed 1 \
	-o "$demo/logistic12.bundle" "$demo/train12.ndjson"
ml-eval "$demo/logistic12.bundle" "$demo/test.ndjson" -o "$demo/logistic12.metrics"
ml-promote promote "$demo/logistic12.bundle" --to production -m "$demo/logistic12.metrics" \
	--current-metrics "$demo/production.metrics" --require-current --no-worse auc:0.005 \
	--reason "retrained on batches 1-2" -f text | sed 's/^/   /'

say "14. Monitoring complains: ml-promote rollback puts the previous model back"
ml-promote rollback production --reason "demo: complaints after the release" -f text | sed 's/^/   /'
ml-promote history -f text | sed 's/^/   /'
ml-promote verify -v 2>&1 | sed 's/^/   /'

say "15. ml-log lineage: what the production model was made from, back to the raw file"
ml-log lineage "$(ml-promote path production)" -f text | cut -c1-150 | sed 's/^/   /'

say "16. ml-report: one offline page of the last batch, for people rather than programs"
ml-stats "$demo/batch3.ndjson" > "$demo/batch3.profile"
ml-drift --exclude id --critical income,loan_amount -o "$demo/drift-production.ndjson" "$(ml-promote path production)" "$demo/batch3.ndjson" || true
ml-eval "$demo/logistic12.bundle" "$demo/test.ndjson" --slice region --bootstrap 200 \
	--curves "$demo/logistic12.curves" -o "$demo/logistic12.metrics"
ml-report --title "mlpipe demo: batch 3" -o "$demo/report.html" "$demo/batch3.profile" \
	"$demo/drift-production.ndjson" "$demo/logistic12.metrics" "$demo/logistic12.curves" \
	"$demo/logistic12.bundle" "$ML_HOME/registry"
ml-report -f text "$demo/drift-production.ndjson" | head -n 8 | sed 's/^/   /'
echo "   the page (profile, drift against production, the candidate's evaluation, the registry):"
echo "   $demo/report.html ($(wc -c < "$demo/report.html") bytes, self-contained: open it in any browser)"

say "Done. Files are in demo/; the run log is demo/.ml/runs.ndjson, the registry demo/.ml/registry."
