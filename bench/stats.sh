#!/bin/sh
# bench/stats.sh: the benchmarks of ml-stats and ml-drift (`make bench` runs
# it after bench/run.sh).
#
# Uses bench/data/data.csv and data.ndjson (made here as bench/run.sh makes
# them, when missing), builds bench/gen-wide.c into bench/build/, caches its
# 100-column NDJSON and the two halves of data.ndjson in bench/data/, times
# every command in this one run (hyperfine, else /usr/bin/time), prints one
# markdown table and writes it into docs/BENCHMARKS.md between
#   <!-- bench:stats:begin --> and <!-- bench:stats:end -->
# (appended at the end when the markers are missing) leaving the rest of
# that file alone.  A benchmark, never a test: it fails only when something
# cannot run, not when a target is missed.  What it shares with bench/run.sh
# (packages, helpers, data.csv, timing, the table's cells, the doc) is in
# bench/lib.sh.
#
# Environment:
#   BENCH_ROWS=N          rows of the generated CSV (default 1000000)
#   BENCH_RUNS=N          timed runs per command (default 5)
#   BENCH_SLOW_RUNS=N     timed runs of mlr summary (default 2)
#   BENCH_DRIFT_RUNS=N    timed runs of ml-drift (default 20)
#   BENCH_WIDE_ROWS="N M" record counts of the 100-column input (default
#                         "100000 300000"; the memory must not grow)
#   BENCH_MLR_ALL=0       skip the one run of `mlr summary --all` (~1 min)
#   BENCH_NO_DOC=1        do not touch docs/BENCHMARKS.md
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh

SLOW_RUNS=${BENCH_SLOW_RUNS:-2}
DRIFT_RUNS=${BENCH_DRIFT_RUNS:-20}
WIDE_ROWS=${BENCH_WIDE_ROWS:-100000 300000}
MLR_ALL=${BENCH_MLR_ALL:-1}
JSON_PREFIX=stats		# hyperfine's JSON: $DATA/stats-NAME.json
RSS_LIMIT_KB=65536		# 64 MiB
DRIFT_LIMIT_S=0.050		# 50 ms
SECS_ONE_RUN=1			# secs: "(1 run)" when least = greatest (--all)

# --- packages, programs, helpers ------------------------------------------
# Debian package : command it provides
need_pkgs hyperfine:hyperfine miller:mlr datamash:datamash jq:jq \
	time:/usr/bin/time gcc:cc
have cc || die "no C compiler"
have jq || die "jq is needed (to read hyperfine's JSON and the profiles)"
wait_bins bin/ml-stats bin/ml-drift bin/ml-ingest
build_helpers gen-data gen-wide

# --- data -----------------------------------------------------------------
# data.csv and data.ndjson: the same files as run.sh's (make_data, in lib.sh)
make_data
say "data: $NDJSON $nd_lines lines ($(bytes "$NDJSON") bytes)"

# the two halves of data.ndjson, by lines, for the shards
HALF_A=$DATA/half-a.ndjson
HALF_B=$DATA/half-b.ndjson
half=$(((nd_lines + 1) / 2))
if [ ! -s "$HALF_A" ] || [ ! -s "$HALF_B" ] || [ "$NDJSON" -nt "$HALF_A" ] ||
   [ "$NDJSON" -nt "$HALF_B" ]; then
	say "\$ head -n $half $NDJSON > $HALF_A; tail -n +$((half + 1)) $NDJSON > $HALF_B"
	head -n "$half" "$NDJSON" > "$HALF_A.tmp"
	tail -n +"$((half + 1))" "$NDJSON" > "$HALF_B.tmp"
	mv "$HALF_A.tmp" "$HALF_A"
	mv "$HALF_B.tmp" "$HALF_B"
fi
[ $(($(lines "$HALF_A") + $(lines "$HALF_B"))) -eq "$nd_lines" ] ||
	die "$HALF_A and $HALF_B do not add up to $NDJSON"

# the 100-column input, at each record count
WIDE_FILES=
for n in $WIDE_ROWS; do
	f=$DATA/wide-$n.ndjson
	if [ ! -s "$f" ] || [ "$BUILD/gen-wide" -nt "$f" ]; then
		say "\$ $BUILD/gen-wide $n $SEED > $f"
		"$BUILD/gen-wide" "$n" "$SEED" > "$f.tmp"
		mv "$f.tmp" "$f"
	fi
	[ "$(lines "$f")" -eq "$n" ] || die "$f has $(lines "$f") lines, expected $n"
	WIDE_FILES="$WIDE_FILES $f"
	say "data: $f $n lines ($(bytes "$f") bytes)"
done

# datamash splits at every comma and stops at an empty field: take the first
# column of data.csv that is a number on every row, split as datamash splits
DM_COL=$(awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) name[i] = $i; n = NF; next }
	{ for (i = 1; i <= n; i++) if (!bad[i] && $i !~ /^-?[0-9]+(\.[0-9]+)?$/) bad[i] = 1 }
	END { for (i = 1; i <= n; i++) if (!bad[i]) { print name[i]; exit } }' "$CSV")
[ -n "$DM_COL" ] || die "no column of $CSV is a number on every row (for datamash)"
say "data: column '$DM_COL' of $CSV is a number on every row (datamash's column)"

# --- measuring ------------------------------------------------------------
start_timing

# The programs run as people run them: with the run log on, so every input
# and output byte is hashed (SHA-256) as it passes.
RUNLOG="$DATA/runs.ndjson"
STATS="bin/ml-stats --run-log $RUNLOG"
DRIFT="bin/ml-drift --run-log $RUNLOG"
P_FULL=$DATA/stats-full.profile
P_A=$DATA/stats-half-a.profile
P_B=$DATA/stats-half-b.profile

# the profiles ml-drift compares (made again each run: ml-stats may have
# changed), and a check that merging the halves' profiles sees every record
say ""
say "\$ $STATS $NDJSON > $P_FULL; $STATS $HALF_A > $P_A; $STATS $HALF_B > $P_B"
$STATS "$NDJSON" > "$P_FULL"
$STATS "$HALF_A" > "$P_A"
$STATS "$HALF_B" > "$P_B"
merged=$($STATS --merge "$P_A" "$P_B" | head -n 1 | jq -r .records)
[ "$merged" = "$nd_lines" ] || die "merged profile has $merged records, expected $nd_lines"

LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
# One pass first, then the shards right after it, so both see the same load.
t_one=$(time_cmd one-pass "$RUNS" 1 0 "$STATS $NDJSON > /dev/null")
t_shards=$(time_cmd shards "$RUNS" 1 0 \
	"$STATS $HALF_A > $P_A & $STATS $HALF_B > $P_B; wait; $STATS --merge $P_A $P_B > /dev/null")
# the same profile with both cores (--threads 2), for the datamash line
t_two=$(time_cmd two-threads "$RUNS" 1 0 "$STATS --threads 2 $NDJSON > /dev/null")
t_dm=
have datamash && t_dm=$(time_cmd datamash "$RUNS" 1 0 \
	"datamash -H -t, mean $DM_COL sstdev $DM_COL median $DM_COL < $CSV > /dev/null")
t_drift=$(time_cmd drift "$DRIFT_RUNS" 2 1 "$DRIFT $P_FULL $P_A > /dev/null")
# mlr summary takes seconds, not tenths: fewer runs, no warm-up (the file is
# in the page cache by now)
t_mlr=; t_mlr_all=
if have mlr; then
	t_mlr=$(time_cmd mlr-summary "$SLOW_RUNS" 0 0 "mlr --ijsonl summary $NDJSON > /dev/null")
	[ "$MLR_ALL" = 1 ] &&
		t_mlr_all=$(time_cmd mlr-summary-all 1 0 0 "mlr --ijsonl summary --all $NDJSON > /dev/null")
fi

r_wide=
if [ -x /usr/bin/time ]; then
	for f in $WIDE_FILES; do
		r_wide="$r_wide$(rss_cmd "$STATS $f > /dev/null");"
	done
	r_full=$(rss_cmd "$STATS $NDJSON > /dev/null")
fi

# --- the table ------------------------------------------------------------
TABLE=$TMP/table
ms() { echo "$1" | awk '{ printf "%.1f ms (%.1f–%.1f)", $1 * 1000, $2 * 1000, $3 * 1000 }'; }
cpu() { echo "$1" | cut -d ' ' -f 4; }

{
	table_head "profile all 10 columns, $nd_lines records" ml-stats "$t_one"
	vs_row "profile all columns" "mlr --ijsonl summary" "$t_mlr" "$t_one" \
		"mlr / ml-stats" "ml-stats ≥ 10x faster" ">= 10"
	# (set only when mlr is installed)
	if [ -n "$t_mlr_all" ]; then
		r=$(ratio "$(med "$t_mlr_all")" "$(med "$t_one")")
		echo "| profile all columns, every summarizer (quantiles, stddev, mode) | mlr --ijsonl summary --all | $(secs "$t_mlr_all") | mlr / ml-stats = ${r}x | (for comparison) | |"
	fi
	if [ -n "$t_dm" ]; then
		# the target is met on both cores (the brief's machine has two,
		# as its shards target says); one core is shown for comparison
		r=$(ratio "$(med "$t_dm")" "$(med "$t_one")")
		echo "| mean, sstdev, median of \`$DM_COL\` (CSV) | datamash | $(secs "$t_dm") | datamash / ml-stats on one core = ${r}x | (for comparison) | |"
		echo "| profile all 10 columns, both cores | ml-stats --threads 2 | $(secs "$t_two") | | | |"
		vs_row "mean, sstdev, median of \`$DM_COL\` (CSV)" datamash "$t_dm" "$t_two" \
			"datamash / ml-stats --threads 2" "ml-stats (all 10 columns) faster: > 1x" "> 1"
	else
		echo "| mean, sstdev, median of one column | datamash | not installed | | ml-stats faster | not measured |"
	fi
	if [ -n "$r_wide" ]; then
		first=; firstn=
		set -- $WIDE_ROWS
		echo "$r_wide" | tr ';' '\n' | while read -r kb wall c; do
			[ -n "$kb" ] || continue
			n=$1; shift
			if [ -z "$first" ]; then
				first=$kb firstn=$n
				echo "| peak memory, 100 columns, $n records | ml-stats | $(mib "$kb") | | < 64 MiB | $(verdict "$kb < $RSS_LIMIT_KB") |"
			else
				r=$(ratio "$kb" "$first")
				echo "| peak memory, 100 columns, $n records | ml-stats | $(mib "$kb") | $n / $firstn records = ${r}x | < 64 MiB, no growth (≤ 1.1x) | $(verdict "$kb < $RSS_LIMIT_KB && $r <= 1.1") |"
			fi
		done
	else
		echo "| peak memory, 100 columns | ml-stats | /usr/bin/time absent | | < 64 MiB | not measured |"
	fi
	r=$(ratio "$(med "$t_one")" "$(med "$t_shards")")
	echo "| two halves profiled in parallel, then --merge | ml-stats ×2 & ml-stats --merge | $(secs "$t_shards") | one pass / shards = ${r}x | ≥ 1.6x faster on $(nproc) cores | $(verdict "$r >= 1.6") |"
	echo "| drift between two profiles | ml-drift | $(ms "$t_drift") | | < 50 ms | $(verdict "$(med "$t_drift") < $DRIFT_LIMIT_S") |"
} > "$TABLE"

# CPU time tells what wall time hides: the shards, mlr and ml-stats's
# hashing thread use both cores
NOTE=$TMP/note
{
	printf 'CPU time (user + system, mean of the runs): '
	printf 'ml-stats one pass %.3f s, ' "$(cpu "$t_one")"
	printf 'two shards and the merge %.3f s, ' "$(cpu "$t_shards")"
	[ -n "$t_mlr" ] && printf 'mlr summary %.3f s, ' "$(cpu "$t_mlr")"
	[ -n "$t_mlr_all" ] && printf 'mlr summary --all %.3f s, ' "$(cpu "$t_mlr_all")"
	[ -n "$t_dm" ] && printf 'datamash %.3f s, ' "$(cpu "$t_dm")"
	printf 'ml-drift %.1f ms.' "$(echo "$(cpu "$t_drift")" | awk '{ print $1 * 1000 }')"
	# the shards need both cores free: their fastest run shows what they
	# give when nothing else is running
	printf ' Fastest runs: one pass %.3f s, shards %.3f s, so %sx.' \
		"$(echo "$t_one" | cut -d ' ' -f 2)" "$(echo "$t_shards" | cut -d ' ' -f 2)" \
		"$(ratio "$(echo "$t_one" | cut -d ' ' -f 2)" "$(echo "$t_shards" | cut -d ' ' -f 2)")"
	# the shards cannot beat their CPU time spread over the cores: every
	# profile hashes its input (its dataset line's source), which one pass
	# does on its second core and the shards on the cores they share
	printf ' The most two cores allow: one pass / (shards CPU / %s) = %sx.' "$(nproc)" \
		"$(ratio "$(med "$t_one")" "$(echo "$(cpu "$t_shards")" | awk -v n="$(nproc)" '{ print $1 / n }')")"
	if [ -n "$r_wide" ]; then
		printf ' ml-stats on the 100-column input:'
		set -- $WIDE_ROWS
		echo "$r_wide" | tr ';' '\n' | while read -r kb wall c; do
			[ -n "$kb" ] || continue
			printf ' %s records %.2f s wall, %.2f s CPU;' "$1" "$wall" "$c"
			shift
		done
		printf ' on data.ndjson its peak memory is %s.' "$(mib "$(echo "$r_full" | cut -d ' ' -f 1)")"
	fi
	echo ""
} > "$NOTE"

say ""
cat "$TABLE"
say ""
cat "$NOTE" >&2

[ "${BENCH_NO_DOC:-}" = 1 ] && exit 0

# --- docs/BENCHMARKS.md ---------------------------------------------------
load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
wide_desc=
for f in $WIDE_FILES; do wide_desc="$wide_desc \`$f\` ($(bytes "$f") bytes),"; done
SECTION=$TMP/body
{
	doc_head "Statistics: profiling with ml-stats, drift with ml-drift" \
		"load average (1, 5, 15 min) $LOAD0 when the timing began, $load when it ended (a shared machine: other work runs alongside)"
	echo "- Tools: $(ver bin/ml-stats --version), $(ver bin/ml-drift --version), $(ver mlr --version), $(ver datamash --version), $(ver jq --version), $(ver "$CC" --version)."
	echo "- Timing: $TIMER ($RUNS runs after 1 warm-up; mlr summary $SLOW_RUNS runs and \`--all\` 1 run, no warm-up, the file being in the page cache by then; ml-drift $DRIFT_RUNS runs after 2 warm-ups, exit status 1 (drift) accepted). Peak memory: GNU time \`%M\`, one run. hyperfine runs each command with \`sh -c\`, so the shards line is the \`sh -c '…; wait; …'\` of the brief."
	echo "- Data: \`$NDJSON\` ($nd_lines records, $(bytes "$NDJSON") bytes; see the foundation section) and \`$CSV\` for datamash, on column \`$DM_COL\`, the first that is a number on every row (the others have empty fields, at which datamash stops). The halves: \`head\`/\`tail\` of data.ndjson at line $half, \`$HALF_A\` and \`$HALF_B\`. ml-drift compares the profile of data.ndjson with the profile of the first half. The 100-column input: \`$BUILD/gen-wide N $SEED\` →${wide_desc%,}: 30 decimals, 20 integers, 5 booleans, 15 strings of 2–60 distinct values, 10 of 500–5000, 20 of many (9500, just under ml-stats's exact limit of 10000; 20000; 100000; one new value per record), ~1% nulls."
	echo ""
	cat "$TABLE"
	echo ""
	cat "$NOTE"
	echo ""
	echo "mlr summary by default computes the type, count, null count, distinct count, mean, min and max of each column, less than ml-stats does (no standard deviation, quantiles, histogram or most frequent values); \`--all\` adds those (holding every value in memory) and is the closer comparison."
	echo ""
} > "$SECTION"
write_doc '<!-- bench:stats:begin -->' '<!-- bench:stats:end -->' "$SECTION"
