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
# cannot run, not when a target is missed.
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

ROWS=${BENCH_ROWS:-1000000}
SEED=42
RUNS=${BENCH_RUNS:-5}
SLOW_RUNS=${BENCH_SLOW_RUNS:-2}
DRIFT_RUNS=${BENCH_DRIFT_RUNS:-20}
WIDE_ROWS=${BENCH_WIDE_ROWS:-100000 300000}
MLR_ALL=${BENCH_MLR_ALL:-1}
BUILD=bench/build
DATA=bench/data
DOC=docs/BENCHMARKS.md
BEGIN='<!-- bench:stats:begin -->'
END='<!-- bench:stats:end -->'
RSS_LIMIT_KB=65536		# 64 MiB
DRIFT_LIMIT_S=0.050		# 50 ms
CC=${CC:-cc}

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 2; }

# --- packages -------------------------------------------------------------
# Debian package : command it provides
need_pkgs() {
	missing=
	for pc in hyperfine:hyperfine miller:mlr datamash:datamash jq:jq \
		  time:/usr/bin/time gcc:cc; do
		pkg=${pc%%:*} cmd=${pc#*:}
		case $cmd in
		/*) [ -e "$cmd" ] && continue ;;
		*) command -v "$cmd" >/dev/null 2>&1 && continue ;;
		esac
		dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed' && continue
		missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "bench: installing$missing"
		apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
			say "bench: could not install$missing; going on without"
	else
		say "bench: missing$missing (not root: install them to measure everything)"
	fi
}
need_pkgs
have() { command -v "$1" >/dev/null 2>&1; }
have cc || die "no C compiler"
have jq || die "jq is needed (to read hyperfine's JSON and the profiles)"
# (a make running alongside may be relinking them: give it a moment)
i=0
until [ -x bin/ml-stats ] && [ -x bin/ml-drift ] && [ -x bin/ml-ingest ]; do
	[ "$i" -ge 20 ] && die "bin/ml-stats, bin/ml-drift or bin/ml-ingest missing: run 'make bench'"
	sleep 1
	i=$((i + 1))
done

# --- helpers --------------------------------------------------------------
mkdir -p "$BUILD" "$DATA"
CFLAGS_BENCH='-std=c11 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes'
for h in gen-data gen-wide; do
	if [ ! -x "$BUILD/$h" ] || [ "bench/$h.c" -nt "$BUILD/$h" ]; then
		say "\$ $CC $CFLAGS_BENCH -o $BUILD/$h bench/$h.c"
		$CC $CFLAGS_BENCH -o "$BUILD/$h" "bench/$h.c"
	fi
done

# --- data -----------------------------------------------------------------
# data.csv and data.ndjson: the same files, made the same way, as run.sh's
CSV=$DATA/data.csv
NDJSON=$DATA/data.ndjson
STAMP=$DATA/data.stamp
lines() { wc -l < "$1" | tr -d ' '; }
bytes() { wc -c < "$1" | tr -d ' '; }

if [ ! -s "$CSV" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$ROWS $SEED" ] ||
   [ "$BUILD/gen-data" -nt "$CSV" ]; then
	say "\$ $BUILD/gen-data $ROWS $SEED > $CSV"
	"$BUILD/gen-data" "$ROWS" "$SEED" > "$CSV.tmp"
	mv "$CSV.tmp" "$CSV"
	echo "$ROWS $SEED" > "$STAMP"
fi
if [ ! -s "$NDJSON" ] || [ "$CSV" -nt "$NDJSON" ] || [ bin/ml-ingest -nt "$NDJSON" ]; then
	say "\$ bin/ml-ingest --no-run-log $CSV > $NDJSON"
	bin/ml-ingest --no-run-log "$CSV" > "$NDJSON.tmp"
	mv "$NDJSON.tmp" "$NDJSON"
fi
csv_lines=$(lines "$CSV")
nd_lines=$(lines "$NDJSON")
[ "$nd_lines" -eq $((csv_lines - 1)) ] ||
	die "$NDJSON has $nd_lines lines, expected $((csv_lines - 1)) (one per CSV row)"
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
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
COMMANDS=$TMP/commands		# the commands, for the doc

if have hyperfine; then
	TIMER="hyperfine $(hyperfine --version | sed 's/^hyperfine //'), median of the runs"
elif [ -x /usr/bin/time ]; then
	TIMER="/usr/bin/time (hyperfine absent), median of the runs"
else
	die "neither hyperfine nor /usr/bin/time: cannot time anything"
fi

# time NAME RUNS WARMUPS IGNORE COMMAND: print the median, least and
# greatest wall time in seconds, then the mean CPU time (user + system) of
# the runs; IGNORE=1 accepts any exit status (ml-drift exits 1 on drift)
time_cmd() {
	name=$1 runs=$2 warm=$3 ign=$4 cmd=$5
	say ""
	say "\$ $cmd"
	echo "$cmd" >> "$COMMANDS"
	if have hyperfine; then
		set -- --style basic --warmup "$warm" --runs "$runs" \
			--export-json "$DATA/stats-$name.json" --command-name "$name"
		[ "$ign" = 1 ] && set -- "$@" --ignore-failure
		hyperfine "$@" "$cmd" >&2
		jq -r '.results[0] | "\(.median) \(.min) \(.max) \(.user + .system)"' "$DATA/stats-$name.json"
	else
		i=0
		while [ "$i" -lt "$warm" ]; do
			sh -c "$cmd" || [ "$ign" = 1 ] || die "failed: $cmd"
			i=$((i + 1))
		done
		i=0
		: > "$TMP/times"
		while [ "$i" -lt "$runs" ]; do
			/usr/bin/time -f '%e %U %S' -o "$TMP/t" sh -c "$cmd" || [ "$ign" = 1 ] || die "failed: $cmd"
			tail -n 1 "$TMP/t" >> "$TMP/times"
			i=$((i + 1))
		done
		sort -n "$TMP/times" | awk '{ v[NR] = $1; cpu += $2 + $3 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR], cpu / NR }'
	fi
}

# rss COMMAND: print the maximum resident set size in KiB (GNU time %M),
# then the wall and CPU seconds of that one run
rss_cmd() {
	cmd=$1
	say ""
	say "\$ /usr/bin/time -f %M $cmd"
	echo "/usr/bin/time -f %M $cmd" >> "$COMMANDS"
	eval "/usr/bin/time -f '%M %e %U %S' -o \"\$TMP/rss\" $cmd" || die "failed: $cmd"
	tail -n 1 "$TMP/rss" | awk '{ print $1, $2, $3 + $4 }'
}

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
# secs "MEDIAN MIN MAX ...": the median, and the range of the runs
secs() { echo "$1" | awk '{ if ($2 == $3) printf "%.3f s (1 run)", $1; else printf "%.3f s (%.3f–%.3f)", $1, $2, $3 }'; }
ms() { echo "$1" | awk '{ printf "%.1f ms (%.1f–%.1f)", $1 * 1000, $2 * 1000, $3 * 1000 }'; }
med() { echo "$1" | cut -d ' ' -f 1; }
cpu() { echo "$1" | cut -d ' ' -f 4; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# ratio A B: A / B to two places
# (n/a when B is 0: too fast for the timer)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
# verdict EXPR: "met" when the awk expression holds
verdict() {
	case $1 in *n/a*) echo "not measured"; return ;; esac
	awk "BEGIN { exit !($1) }" && echo met || echo "**not met**"
}

rows=$nd_lines
{
	echo "| task | tool | median (range of runs) or max RSS | ratio | target | met? |"
	echo "|---|---|--:|--:|---|---|"
	echo "| profile all 10 columns, $rows records | ml-stats | $(secs "$t_one") | | | |"
	if [ -n "$t_mlr" ]; then
		r=$(ratio "$(med "$t_mlr")" "$(med "$t_one")")
		echo "| profile all columns | mlr --ijsonl summary | $(secs "$t_mlr") | mlr / ml-stats = ${r}x | ml-stats ≥ 10x faster | $(verdict "$r >= 10") |"
		if [ -n "$t_mlr_all" ]; then
			r=$(ratio "$(med "$t_mlr_all")" "$(med "$t_one")")
			echo "| profile all columns, every summarizer (quantiles, stddev, mode) | mlr --ijsonl summary --all | $(secs "$t_mlr_all") | mlr / ml-stats = ${r}x | (for comparison) | |"
		fi
	else
		echo "| profile all columns | mlr | not installed | | ml-stats ≥ 10x faster | not measured |"
	fi
	if [ -n "$t_dm" ]; then
		r=$(ratio "$(med "$t_dm")" "$(med "$t_one")")
		echo "| mean, sstdev, median of \`$DM_COL\` (CSV) | datamash | $(secs "$t_dm") | datamash / ml-stats = ${r}x | ml-stats (all 10 columns) faster: > 1x | $(verdict "$r > 1") |"
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
ver() { "$@" 2>/dev/null | head -n 1 || true; }
cpuname=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- cmd common 2>/dev/null || commit="$commit plus uncommitted changes"
load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
wide_desc=
for f in $WIDE_FILES; do wide_desc="$wide_desc \`$f\` ($(bytes "$f") bytes),"; done
SECTION=$TMP/section
{
	echo "$BEGIN"
	echo "## Statistics: profiling with ml-stats, drift with ml-drift"
	echo ""
	echo "Made by \`make bench\` (bench/stats.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), mlpipe $commit."
	echo ""
	echo "- Machine: $(nproc) CPUs (nproc), ${cpuname:-unknown CPU}, $(uname -sr), $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo); load average (1, 5, 15 min) $LOAD0 when the timing began, $load when it ended (a shared machine: other work runs alongside)."
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
	echo "Commands, from the top of the tree:"
	echo ""
	echo '```sh'
	cat "$COMMANDS"
	echo '```'
	echo "$END"
} > "$SECTION"

if [ ! -f "$DOC" ]; then
	mkdir -p "$(dirname "$DOC")"
	cat > "$DOC" <<'EOF'
# Benchmarks

Benchmarks are scripts, never timed tests: nothing in `make check` depends on
how fast a machine is. Run them with `make bench` (it builds, then runs
`sh bench/run.sh`; a full run takes a few minutes). Each section below was
written by the script that measures it, between its markers. Ratios compare
tools measured in the same run on the same machine, a shared and noisy
2-core one, so trust the ratios more than the absolute seconds.

EOF
fi
if grep -qF "$BEGIN" "$DOC" && grep -qF "$END" "$DOC"; then
	awk -v begin="$BEGIN" -v end="$END" -v section="$SECTION" '
		$0 == begin { while ((getline l < section) > 0) print l; skip = 1; next }
		$0 == end { skip = 0; next }
		!skip { print }' "$DOC" > "$DOC.tmp"
	mv "$DOC.tmp" "$DOC"
else
	{ echo ""; cat "$SECTION"; } >> "$DOC"
fi
say ""
say "bench: wrote the table into $DOC"
