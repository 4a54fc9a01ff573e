#!/bin/sh
# bench/eval.sh: the benchmarks of ml-eval (`make bench` runs it after
# bench/validate.sh).
#
# Writes 1000000 scored records (a label 0 or 1, the probability of 1 to
# three places, so with many ties, and a region) into bench/data/ with awk,
# deterministically, and the Python script that computes the same binary
# metrics with pandas and scikit-learn; checks that both give the same
# numbers; times every command in this one run (hyperfine, else
# /usr/bin/time), prints one markdown table and writes it into
# docs/BENCHMARKS.md between
#   <!-- bench:eval:begin --> and <!-- bench:eval:end -->
# (appended at the end when the markers are missing) leaving the rest of
# that file alone.  A benchmark, never a test: it fails only when something
# cannot run (or the two programs disagree), not when a target is missed.
# What it shares with bench/run.sh and the others is in bench/lib.sh.
#
# Targets (the issue's): on 1000000 scored records, all binary metrics
# without bootstrap at least 3x faster than a Python script with pandas and
# scikit-learn reading the same NDJSON and computing the same metrics;
# --bootstrap 1000 on 100000 records under 10 s on 2 cores.
#
# Files it keeps in bench/data/:
#   eval-scored.ndjson      the scored records ($BENCH_ROWS of them)
#   eval-scored.stamp       the rows, seed and generator they were made with
#   eval-scored-100k.ndjson their first 100000, for the bootstrap
#   eval-sklearn.py         the Python baseline
#   eval-ml.json            ml-eval's overall line, eval-py.json Python's metrics
#   eval-NAME.json          hyperfine's JSON of each command timed
#
# Environment:
#   BENCH_ROWS=N          scored records (default 1000000)
#   BENCH_RUNS=N          timed runs of ml-eval without bootstrap (default 5)
#   BENCH_SLOW_RUNS=N     timed runs of Python and of the bootstrap (default 3)
#   BENCH_NO_DOC=1        do not touch docs/BENCHMARKS.md
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh

SLOW_RUNS=${BENCH_SLOW_RUNS:-3}
JSON_PREFIX=eval		# hyperfine's JSON: $DATA/eval-NAME.json
PYTHON=/usr/bin/python3
BOOT_N=1000			# resamples of the bootstrap target
BOOT_ROWS=100000		# records of the bootstrap target
[ "$ROWS" -lt "$BOOT_ROWS" ] && BOOT_ROWS=$ROWS
GEN=1				# the generator's version, in the stamp: bump it when gen changes
# the metrics both programs compute, as ml-eval names them
METRICS="accuracy precision recall f1 auc average_precision log_loss brier mcc ece"
TOLERANCE=1e-9			# relative (absolute below 1) agreement asked of the two

# --- packages, programs ---------------------------------------------------
# Debian package : command or file it provides
need_pkgs hyperfine:hyperfine jq:jq time:/usr/bin/time python3:$PYTHON \
	python3-numpy:/usr/lib/python3/dist-packages/numpy \
	python3-pandas:/usr/lib/python3/dist-packages/pandas \
	python3-sklearn:/usr/lib/python3/dist-packages/sklearn
have jq || die "jq is needed (to read hyperfine's JSON and compare the metrics)"
wait_bins bin/ml-eval
mkdir -p "$BUILD" "$DATA"
py_ok=1
"$PYTHON" -c 'import numpy, pandas, sklearn' 2>/dev/null || {
	py_ok=
	say "bench: $PYTHON with numpy, pandas and scikit-learn missing: the baseline is not measured"
}

# --- data -----------------------------------------------------------------
# gen ROWS SEED: scored records as a model that scores in three places
# would leave them, with the label known: region (6 values, 40% to 2% of
# the records), label, prediction (the probability at 0.5) and probability.
# The score is a logit of about 2.6 standard deviations around -1.1; the
# label is drawn with the probability, so the scores are calibrated, but in
# apac, whose scores run 0.4 logits high.  awk's doubles hold the
# Park-Miller generator (16807 x mod 2^31 - 1) exactly, so the same ROWS
# and SEED give the same bytes with any awk.
gen() {
	LC_ALL=C awk -v rows="$1" -v seed="$2" '
	function u() { x = (x * 16807) % 2147483647; return x / 2147483647 }
	BEGIN {
		x = seed % 2147483646 + 1
		split("eu us apac latam mea other", reg, " ")
		split("40 30 15 8 5 2", share, " ")
		for (i = 2; i <= 6; i++) share[i] += share[i - 1]
		for (i = 1; i <= rows; i++) {
			r = u() * 100
			for (g = 1; share[g] <= r && g < 6; g++) ;
			s = (u() + u() + u() + u() - 2) * 2.6 - 1.1 + (g == 3 ? 0.4 : 0)
			p = sprintf("%.3f", 1 / (1 + exp(-s))) + 0
			q = g == 3 ? 1 / (1 + exp(-(s - 0.4))) : p
			y = u() < q ? 1 : 0
			printf "{\"id\":%d,\"region\":\"%s\",\"label\":%d,\"prediction\":%d,\"probability\":%s}\n",
				i, reg[g], y, (p >= 0.5), p
		}
	}'
}

SCORED=$DATA/eval-scored.ndjson
STAMP=$DATA/eval-scored.stamp
BOOT=$DATA/eval-scored-100k.ndjson
if [ ! -s "$SCORED" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$ROWS $SEED gen$GEN" ]; then
	say "\$ gen $ROWS $SEED > $SCORED   (awk, in bench/eval.sh)"
	gen "$ROWS" "$SEED" > "$SCORED.tmp"
	mv "$SCORED.tmp" "$SCORED"
	echo "$ROWS $SEED gen$GEN" > "$STAMP"
fi
if [ ! -s "$BOOT" ] || [ "$SCORED" -nt "$BOOT" ]; then
	say "\$ head -n $BOOT_ROWS $SCORED > $BOOT"
	head -n "$BOOT_ROWS" "$SCORED" > "$BOOT"
fi
nd_lines=$(lines "$SCORED")
boot_lines=$(lines "$BOOT")
[ "$nd_lines" -eq "$ROWS" ] || die "$SCORED has $nd_lines lines, expected $ROWS"
ndistinct=$(sed 's/.*"probability"://; s/}$//' "$SCORED" | LC_ALL=C sort -u | wc -l | tr -d ' ')
say "data: $SCORED $nd_lines lines ($(bytes "$SCORED") bytes, $ndistinct distinct probabilities)"

# the Python baseline: what a data scientist would write, reading the same
# NDJSON; the ECE with numpy, over calibration_curve's 10 uniform bins;
# with --times, the time of the reading and of the metrics on stderr
PY=$DATA/eval-sklearn.py
cat > "$PY.tmp" <<'EOF'
# bench/eval.sh's baseline: the binary metrics of scored NDJSON records
# with pandas and scikit-learn, printed as one JSON object.
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn import metrics as skm

t0 = time.perf_counter()
df = pd.read_json(sys.argv[1], lines=True)
t1 = time.perf_counter()
y = df["label"].to_numpy()
p = df["probability"].to_numpy(dtype=float)
yhat = (p >= 0.5).astype(int)
# ECE over calibration_curve(strategy="uniform", n_bins=10)'s bins
bins = 10
b = np.searchsorted(np.linspace(0.0, 1.0, bins + 1)[1:-1], p)
n_b = np.bincount(b, minlength=bins)
y_b = np.bincount(b, weights=y, minlength=bins)
p_b = np.bincount(b, weights=p, minlength=bins)
nz = n_b > 0
ece = np.sum(n_b[nz] / len(p) * np.abs(y_b[nz] / n_b[nz] - p_b[nz] / n_b[nz]))
out = {
    "accuracy": skm.accuracy_score(y, yhat),
    "precision": skm.precision_score(y, yhat),
    "recall": skm.recall_score(y, yhat),
    "f1": skm.f1_score(y, yhat),
    "auc": skm.roc_auc_score(y, p),
    "average_precision": skm.average_precision_score(y, p),
    "log_loss": skm.log_loss(y, p, labels=[0, 1]),
    "brier": skm.brier_score_loss(y, p),
    "mcc": skm.matthews_corrcoef(y, yhat),
    "ece": ece,
}
t2 = time.perf_counter()
print(json.dumps({k: float(v) for k, v in out.items()}))
if sys.argv[2:] == ["--times"]:
    print("%.3f %.3f" % (t1 - t0, t2 - t1), file=sys.stderr)
EOF
if cmp -s "$PY.tmp" "$PY"; then rm -f "$PY.tmp"; else mv "$PY.tmp" "$PY"; fi

# --- the same numbers? ----------------------------------------------------
start_timing

# The programs run as people run them: with the run log on, so every input
# and output byte is hashed (SHA-256) as it passes.
RUNLOG="$DATA/runs.ndjson"
EVAL="bin/ml-eval --run-log $RUNLOG"
ML_JSON=$DATA/eval-ml.json
PY_JSON=$DATA/eval-py.json

say ""
say "\$ $EVAL --label label $SCORED > $ML_JSON"
$EVAL --label label "$SCORED" > "$ML_JSON" || die "ml-eval exits $? on $SCORED"
[ "$(jq -r 'select(.slice == "overall") | "\(.task) \(.records)"' "$ML_JSON")" = "binary $nd_lines" ] ||
	die "ml-eval does not see $nd_lines binary records in $SCORED"
py_split=
if [ -n "$py_ok" ]; then
	say "\$ $PYTHON $PY $SCORED --times > $PY_JSON"
	"$PYTHON" "$PY" "$SCORED" --times > "$PY_JSON" 2> "$TMP/py-times" ||
		die "$PY exits $?: $(cat "$TMP/py-times")"
	py_split=$(tail -n 1 "$TMP/py-times")
	# every metric within TOLERANCE, relative (absolute below 1)
	bad=$(jq -rn --slurpfile m "$ML_JSON" --slurpfile p "$PY_JSON" --arg names "$METRICS" \
		--argjson tol "$TOLERANCE" '
		$m[0] as $m | $p[0] as $p
		| $names | split(" ")[]
		| select(($m[.] | type) != "number" or ($p[.] | type) != "number"
			or (($m[.] - $p[.]) | fabs) > $tol * ([1, ($p[.] | fabs)] | max))
		| "\(.): ml-eval \($m[.]), scikit-learn \($p[.])"')
	[ -z "$bad" ] || die "ml-eval and $PY disagree: $bad"
	maxdiff=$(jq -rn --slurpfile m "$ML_JSON" --slurpfile p "$PY_JSON" --arg names "$METRICS" '
		$m[0] as $m | $p[0] as $p
		| [$names | split(" ")[] | ($m[.] - $p[.]) | fabs] | max')
	say "bench: ml-eval and scikit-learn agree on the $(echo $METRICS | wc -w | tr -d ' ') metrics (largest difference $maxdiff)"
fi

# --- measuring ------------------------------------------------------------
LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
t_eval=$(time_cmd binary "$RUNS" 1 0 "$EVAL --label label $SCORED > /dev/null")
# Python right after, so that the two compared see the same load
t_py=
[ -n "$py_ok" ] && t_py=$(time_cmd sklearn "$SLOW_RUNS" 0 0 "$PYTHON $PY $SCORED > /dev/null")
t_slice=$(time_cmd slice "$RUNS" 1 0 "$EVAL --label label --slice region $SCORED > /dev/null")
t_boot=$(time_cmd bootstrap "$SLOW_RUNS" 0 0 \
	"$EVAL --label label --bootstrap $BOOT_N $BOOT > /dev/null")
t_boot1=$(time_cmd bootstrap-1-thread "$SLOW_RUNS" 0 0 \
	"$EVAL --label label --bootstrap $BOOT_N --threads 1 $BOOT > /dev/null")

r_eval=; r_py=
if [ -x /usr/bin/time ]; then
	r_eval=$(rss_cmd "$EVAL --label label $SCORED > /dev/null")
	r_boot=$(rss_cmd "$EVAL --label label --bootstrap $BOOT_N $BOOT > /dev/null")
	[ -n "$py_ok" ] && r_py=$(rss_cmd "$PYTHON $PY $SCORED > /dev/null")
fi
load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)

# --- the table ------------------------------------------------------------
TABLE=$TMP/table
cpu() { echo "$1" | cut -d ' ' -f 4; }
kb() { echo "$1" | cut -d ' ' -f 1; }
{
	table_head "all binary metrics ($(echo $METRICS | tr ' ' ',' | sed 's/,/, /g'), positive rate, confusion matrix), $nd_lines scored records" \
		"ml-eval --label" "$t_eval"
	vs_row "the same metrics, the same NDJSON" "python3: pandas.read_json(lines=True) + scikit-learn" \
		"$t_py" "$t_eval" "Python / ml-eval" "ml-eval ≥ 3x faster" ">= 3"
	r=$(ratio "$(med "$t_slice")" "$(med "$t_eval")")
	echo "| + the metrics of each of 6 regions | ml-eval --label --slice region | $(secs "$t_slice") | / overall only = ${r}x | (for comparison) | |"
	m=$(med "$t_boot")
	echo "| --bootstrap $BOOT_N, $boot_lines records, 2 threads (the default) | ml-eval --label --bootstrap | $(secs "$t_boot") | | < 10 s on 2 cores | $(verdict "$m < 10") |"
	r=$(ratio "$(med "$t_boot1")" "$m")
	echo "| --bootstrap $BOOT_N, $boot_lines records, 1 thread | ml-eval --label --bootstrap --threads 1 | $(secs "$t_boot1") | 1 thread / 2 = ${r}x | (for comparison) | |"
	if [ -n "$r_eval" ]; then
		echo "| peak memory, $nd_lines records | ml-eval --label | $(mib "$(kb "$r_eval")") | | (reported) | |"
		echo "| peak memory, --bootstrap $BOOT_N, $boot_lines records | ml-eval --label --bootstrap | $(mib "$(kb "$r_boot")") | | (reported) | |"
		if [ -n "$r_py" ]; then
			r=$(ratio "$(kb "$r_py")" "$(kb "$r_eval")")
			echo "| peak memory, $nd_lines records | python3: pandas + scikit-learn | $(mib "$(kb "$r_py")") | Python / ml-eval = ${r}x | (for comparison) | |"
		fi
	else
		echo "| peak memory | ml-eval | /usr/bin/time absent | | (reported) | not measured |"
	fi
} > "$TABLE"

NOTE=$TMP/note
{
	printf 'CPU time (user + system, mean of the runs): ml-eval %.3f s, with --slice %.3f s, ' \
		"$(cpu "$t_eval")" "$(cpu "$t_slice")"
	printf 'bootstrap %.3f s on 2 threads, %.3f s on 1' "$(cpu "$t_boot")" "$(cpu "$t_boot1")"
	if [ -n "$t_py" ]; then
		printf ', Python %.3f s (Python / ml-eval = %sx)' "$(cpu "$t_py")" \
			"$(ratio "$(cpu "$t_py")" "$(cpu "$t_eval")")"
	fi
	printf '.'
	if [ -n "$py_split" ]; then
		set -- $py_split
		printf ' Of the Python script'\''s time, in the run that checked its numbers: pandas.read_json %.3f s, the ten metrics %.3f s (the rest is starting Python and importing pandas and scikit-learn).' "$1" "$2"
	fi
	echo ""
} > "$NOTE"

say ""
cat "$TABLE"
say ""
cat "$NOTE" >&2

[ "${BENCH_NO_DOC:-}" = 1 ] && exit 0

# --- docs/BENCHMARKS.md ---------------------------------------------------
SECTION=$TMP/body
{
	doc_head "Evaluation: ml-eval against pandas and scikit-learn" \
		"load average (1, 5, 15 min) $LOAD0 when the timing began, $load when it ended (a shared machine: other work runs alongside)"
	if [ -n "$py_ok" ]; then
		pyv=$("$PYTHON" -c 'import numpy, pandas, sklearn, sys; print("Python %s, pandas %s, scikit-learn %s, numpy %s" % (sys.version.split()[0], pandas.__version__, sklearn.__version__, numpy.__version__))')
	else
		pyv="Python with pandas and scikit-learn not installed"
	fi
	echo "- Tools: $(ver bin/ml-eval --version), $pyv, $(ver jq --version)."
	echo "- Timing: $TIMER ($RUNS runs after 1 warm-up for ml-eval without bootstrap; $SLOW_RUNS runs, no warm-up, for the bootstrap and for Python, the file being in the page cache by then). Peak memory: GNU time \`%M\`, one run."
	pos=$(jq -r 'select(.slice == "overall") | .confusion | (.tp + .fn) / (.tn + .fp + .fn + .tp) * 100 | round' "$ML_JSON")
	echo "- Data: \`$SCORED\` ($nd_lines records, $(bytes "$SCORED") bytes), written by the awk of bench/eval.sh, seed $SEED, records such as \`$(head -n 1 "$SCORED")\`: the probability to three places ($ndistinct distinct values, so many ties), calibrated but in one of the 6 regions, $pos% of labels 1; its first $boot_lines records, \`$BOOT\`, for the bootstrap."
	if [ -n "$py_ok" ]; then
		echo "- Python: \`$PY\` reads the file with \`pandas.read_json(lines=True)\` and computes accuracy, precision, recall, F1, ROC AUC, average precision, log loss, Brier score and MCC with scikit-learn, and the ECE over 10 uniform bins with numpy. Before timing, the script checks that ml-eval gives the same ten numbers, within $TOLERANCE relative (largest difference: $maxdiff)."
	fi
	echo ""
	cat "$TABLE"
	echo ""
	cat "$NOTE"
	echo ""
} > "$SECTION"
write_doc '<!-- bench:eval:begin -->' '<!-- bench:eval:end -->' "$SECTION"
