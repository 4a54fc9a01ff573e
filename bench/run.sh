#!/bin/sh
# bench/run.sh: the foundation benchmarks (`make bench` runs it after building).
#
# Builds the helpers into bench/build/, generates bench/data/ if missing,
# times every command in this one run (hyperfine, else /usr/bin/time), prints
# one markdown table and writes it into docs/BENCHMARKS.md between
#   <!-- bench:foundation:begin --> and <!-- bench:foundation:end -->
# leaving the rest of that file alone.  A benchmark, never a test: it fails
# only when something cannot run, not when a target is missed.  What it
# shares with bench/stats.sh (packages, helpers, data.csv, timing, the
# table's cells, the doc) is in bench/lib.sh.
#
# Environment:
#   BENCH_ROWS=N        rows of the generated CSV (default 1000000)
#   BENCH_RUNS=N        timed runs per command (default 5)
#   BENCH_SLOW_RUNS=N   timed runs of mlr and jq (default 5)
#   BENCH_NO_DOC=1      do not touch docs/BENCHMARKS.md
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh

SLOW_RUNS=${BENCH_SLOW_RUNS:-5}
JSON_PREFIX=foundation		# hyperfine's JSON: $DATA/foundation-NAME.json
RSS_LIMIT_KB=16384		# 16 MiB

# --- packages, programs, helpers ------------------------------------------
# Debian package : command it provides
need_pkgs hyperfine:hyperfine miller:mlr jq:jq time:/usr/bin/time \
	libcsv-dev:/usr/include/csv.h gcc:cc
have cc || die "no C compiler"
[ -e /usr/include/csv.h ] || die "libcsv-dev (csv.h) is not installed"
have jq || die "jq is needed (to read hyperfine's JSON and as a baseline)"
wait_bins bin/ml-ingest bin/ml-split
build_helpers gen-data bare-libcsv:-lcsv

# --- data -----------------------------------------------------------------
make_data
CSV3=$DATA/data3.csv
NDJSON3=$DATA/data3.ndjson
# three times the rows (one header), to see that memory does not grow
if [ ! -s "$CSV3" ] || [ "$CSV" -nt "$CSV3" ]; then
	{ cat "$CSV"; tail -n +2 "$CSV"; tail -n +2 "$CSV"; } > "$CSV3.tmp"
	mv "$CSV3.tmp" "$CSV3"
fi
if [ ! -s "$NDJSON3" ] || [ "$NDJSON" -nt "$NDJSON3" ]; then
	cat "$NDJSON" "$NDJSON" "$NDJSON" > "$NDJSON3.tmp"
	mv "$NDJSON3.tmp" "$NDJSON3"
fi
bare_out=$("$BUILD/bare-libcsv" "$CSV")
say "data: $CSV $csv_lines lines ($(bytes "$CSV") bytes; bare-libcsv: $bare_out)"
say "data: $NDJSON $nd_lines lines ($(bytes "$NDJSON") bytes)"

# --- measuring ------------------------------------------------------------
start_timing "--warmup 1" "1 warm-up"

# rss_kib COMMAND: rss_cmd's maximum resident set size alone, in KiB
rss_kib() { r=$(rss_cmd "$1") && echo "${r%% *}"; }

# The programs run as people run them: with the run log on, so every input
# and output byte is hashed (SHA-256) as it passes.
RUNLOG="$DATA/runs.ndjson"
ING="bin/ml-ingest --run-log $RUNLOG"
SPLIT="bin/ml-split --run-log $RUNLOG --ratio a=0.5,b=0.5 --tag part"

t_ing_csv=$(time_cmd ingest-csv "$RUNS" 1 0 "$ING $CSV > /dev/null")
t_bare=$(time_cmd bare-libcsv "$RUNS" 1 0 "$BUILD/bare-libcsv $CSV > /dev/null")
t_mlr=
have mlr && t_mlr=$(time_cmd mlr "$SLOW_RUNS" 1 0 "mlr --icsv --ojsonl cat $CSV > /dev/null")
t_split=$(time_cmd split-ndjson "$RUNS" 1 0 "$SPLIT < $NDJSON > /dev/null")
t_ing_nd=$(time_cmd ingest-ndjson "$RUNS" 1 0 "$ING $NDJSON > /dev/null")
t_jq=$(time_cmd jq "$SLOW_RUNS" 1 0 "jq -c . $NDJSON > /dev/null")

r_ing=; r_ing3=; r_split=; r_split3=
if [ -x /usr/bin/time ]; then
	r_ing=$(rss_kib "$ING $CSV > /dev/null")
	r_ing3=$(rss_kib "$ING $CSV3 > /dev/null")
	r_split=$(rss_kib "$SPLIT < $NDJSON > /dev/null")
	r_split3=$(rss_kib "$SPLIT < $NDJSON3 > /dev/null")
fi

# --- the table ------------------------------------------------------------
TABLE=$TMP/table
{
	table_head "CSV → NDJSON, $ROWS rows" ml-ingest "$t_ing_csv"
	vs_row "CSV → NDJSON" "mlr --icsv --ojsonl cat" "$t_mlr" "$t_ing_csv" \
		"mlr / ml-ingest" "ml-ingest ≥ 8x faster" ">= 8"
	r=$(ratio "$(med "$t_ing_csv")" "$(med "$t_bare")")
	echo "| CSV parse only | bare-libcsv | $(secs "$t_bare") | ml-ingest / bare = ${r}x | ml-ingest ≤ 2x | $(verdict "$r <= 2") |"
	echo "| read NDJSON, $ROWS records | ml-split --tag | $(secs "$t_split") | | | |"
	echo "| read NDJSON | ml-ingest | $(secs "$t_ing_nd") | | | |"
	vs_row "read NDJSON" "jq -c ." "$t_jq" "$t_split" \
		"jq / ml-split" "ml-split ≥ 10x faster" ">= 10"
	r=$(ratio "$(med "$t_jq")" "$(med "$t_ing_nd")")
	echo "| read NDJSON | jq -c . | | jq / ml-ingest = ${r}x | ml-ingest ≥ 10x faster | $(verdict "$r >= 10") |"
	if [ -n "$r_ing" ]; then
		echo "| peak memory, CSV 1x | ml-ingest | $(mib "$r_ing") | | < 16 MiB | $(verdict "$r_ing < $RSS_LIMIT_KB") |"
		r=$(ratio "$r_ing3" "$r_ing")
		echo "| peak memory, CSV 3x | ml-ingest | $(mib "$r_ing3") | 3x / 1x = ${r}x | < 16 MiB, no growth (≤ 1.1x) | $(verdict "$r_ing3 < $RSS_LIMIT_KB && $r <= 1.1") |"
		echo "| peak memory, NDJSON 1x | ml-split | $(mib "$r_split") | | < 16 MiB | $(verdict "$r_split < $RSS_LIMIT_KB") |"
		r=$(ratio "$r_split3" "$r_split")
		echo "| peak memory, NDJSON 3x | ml-split | $(mib "$r_split3") | 3x / 1x = ${r}x | < 16 MiB, no growth (≤ 1.1x) | $(verdict "$r_split3 < $RSS_LIMIT_KB && $r <= 1.1") |"
	else
		echo "| peak memory | ml-ingest, ml-split | /usr/bin/time absent | | < 16 MiB | not measured |"
	fi
} > "$TABLE"

# CPU time tells what wall time hides: mlr works on more than one core
NOTE=$TMP/note
: > "$NOTE"
if have hyperfine; then
	cpu_of() {
		f=$DATA/$JSON_PREFIX-$1.json
		[ -f "$f" ] && jq -r '.results[0] | "\(.user + .system)"' "$f" |
			awk -v n="$2" '{ printf "%s %.3f s", n, $1 }'
	}
	{
		printf 'CPU time (user + system, mean of the runs): '
		printf '%s, ' "$(cpu_of ingest-csv "ml-ingest CSV")" "$(cpu_of bare-libcsv bare-libcsv)"
		[ -n "$t_mlr" ] && printf '%s, ' "$(cpu_of mlr mlr)"
		printf '%s, ' "$(cpu_of split-ndjson ml-split)" "$(cpu_of ingest-ndjson "ml-ingest NDJSON")"
		printf '%s. ' "$(cpu_of jq jq)"
		echo "Miller spreads its work over both cores, so its wall time, and the ratio against it, move with what else the machine is doing."
	} > "$NOTE"
fi

say ""
cat "$TABLE"
[ -s "$NOTE" ] && { say ""; cat "$NOTE" >&2; }

[ "${BENCH_NO_DOC:-}" = 1 ] && exit 0

# --- docs/BENCHMARKS.md ---------------------------------------------------
SECTION=$TMP/body
{
	doc_head "Foundation: reading CSV and NDJSON"
	echo "- Tools: $(ver bin/ml-ingest --version), $(ver mlr --version), $(ver jq --version), libcsv $(pkgver libcsv3), $(ver "$CC" --version)."
	echo "- Timing: $TIMER ($RUNS runs; $SLOW_RUNS for mlr and jq). Peak memory: GNU time \`%M\`, one run."
	echo "- Data: \`$BUILD/gen-data $ROWS $SEED\` → \`$CSV\` ($csv_lines lines, $(bytes "$CSV") bytes: id, 5 numeric columns, 3 categorical, 1 boolean; ~2% empty fields; ~1.6% quoted fields with a comma), and \`$NDJSON\` made from it by ml-ingest ($nd_lines lines, $(bytes "$NDJSON") bytes). The 3x inputs repeat the rows three times."
	echo ""
	cat "$TABLE"
	echo ""
	if [ -s "$NOTE" ]; then
		cat "$NOTE"
		echo ""
	fi
} > "$SECTION"
write_doc '<!-- bench:foundation:begin -->' '<!-- bench:foundation:end -->' "$SECTION"
