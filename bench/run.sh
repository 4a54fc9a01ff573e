#!/bin/sh
# bench/run.sh: the foundation benchmarks (`make bench` runs it after building).
#
# Builds the helpers into bench/build/, generates bench/data/ if missing,
# times every command in this one run (hyperfine, else /usr/bin/time), prints
# one markdown table and writes it into docs/BENCHMARKS.md between
#   <!-- bench:foundation:begin --> and <!-- bench:foundation:end -->
# leaving the rest of that file alone.  A benchmark, never a test: it fails
# only when something cannot run, not when a target is missed.
#
# Environment:
#   BENCH_ROWS=N        rows of the generated CSV (default 1000000)
#   BENCH_RUNS=N        timed runs per command (default 5)
#   BENCH_SLOW_RUNS=N   timed runs of mlr and jq (default 5)
#   BENCH_NO_DOC=1      do not touch docs/BENCHMARKS.md
set -eu

cd "$(dirname "$0")/.."

ROWS=${BENCH_ROWS:-1000000}
SEED=42
RUNS=${BENCH_RUNS:-5}
SLOW_RUNS=${BENCH_SLOW_RUNS:-5}
BUILD=bench/build
DATA=bench/data
DOC=docs/BENCHMARKS.md
BEGIN='<!-- bench:foundation:begin -->'
END='<!-- bench:foundation:end -->'
RSS_LIMIT_KB=16384		# 16 MiB
CC=${CC:-cc}

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 2; }

# --- packages -------------------------------------------------------------
# Debian package : command it provides
need_pkgs() {
	missing=
	for pc in hyperfine:hyperfine miller:mlr jq:jq time:/usr/bin/time \
		  libcsv-dev:/usr/include/csv.h gcc:cc; do
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
[ -e /usr/include/csv.h ] || die "libcsv-dev (csv.h) is not installed"
have jq || die "jq is needed (to read hyperfine's JSON and as a baseline)"
# (a make running alongside may be relinking them: give it a moment)
i=0
until [ -x bin/ml-ingest ] && [ -x bin/ml-split ]; do
	[ "$i" -ge 20 ] && die "bin/ml-ingest or bin/ml-split missing: run 'make bench'"
	sleep 1
	i=$((i + 1))
done

# --- helpers --------------------------------------------------------------
mkdir -p "$BUILD" "$DATA"
CFLAGS_BENCH='-std=c11 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes'
if [ ! -x "$BUILD/gen-data" ] || [ bench/gen-data.c -nt "$BUILD/gen-data" ]; then
	say "\$ $CC $CFLAGS_BENCH -o $BUILD/gen-data bench/gen-data.c"
	$CC $CFLAGS_BENCH -o "$BUILD/gen-data" bench/gen-data.c
fi
if [ ! -x "$BUILD/bare-libcsv" ] || [ bench/bare-libcsv.c -nt "$BUILD/bare-libcsv" ]; then
	say "\$ $CC $CFLAGS_BENCH -o $BUILD/bare-libcsv bench/bare-libcsv.c -lcsv"
	$CC $CFLAGS_BENCH -o "$BUILD/bare-libcsv" bench/bare-libcsv.c -lcsv
fi

# --- data -----------------------------------------------------------------
CSV=$DATA/data.csv
NDJSON=$DATA/data.ndjson
CSV3=$DATA/data3.csv
NDJSON3=$DATA/data3.ndjson
STAMP=$DATA/data.stamp
lines() { wc -l < "$1" | tr -d ' '; }

if [ ! -s "$CSV" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$ROWS $SEED" ] ||
   [ "$BUILD/gen-data" -nt "$CSV" ]; then
	say "\$ $BUILD/gen-data $ROWS $SEED > $CSV"
	"$BUILD/gen-data" "$ROWS" "$SEED" > "$CSV.tmp"
	mv "$CSV.tmp" "$CSV"
	echo "$ROWS $SEED" > "$STAMP"
fi
# the NDJSON is ml-ingest's, so it follows both the CSV and ml-ingest
if [ ! -s "$NDJSON" ] || [ "$CSV" -nt "$NDJSON" ] || [ bin/ml-ingest -nt "$NDJSON" ]; then
	say "\$ bin/ml-ingest --no-run-log $CSV > $NDJSON"
	bin/ml-ingest --no-run-log "$CSV" > "$NDJSON.tmp"
	mv "$NDJSON.tmp" "$NDJSON"
fi
csv_lines=$(lines "$CSV")
nd_lines=$(lines "$NDJSON")
[ "$nd_lines" -eq $((csv_lines - 1)) ] ||
	die "$NDJSON has $nd_lines lines, expected $((csv_lines - 1)) (one per CSV row)"
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
say "data: $CSV $csv_lines lines ($(wc -c < "$CSV" | tr -d ' ') bytes; bare-libcsv: $bare_out)"
say "data: $NDJSON $nd_lines lines ($(wc -c < "$NDJSON" | tr -d ' ') bytes)"

# --- measuring ------------------------------------------------------------
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
COMMANDS=$TMP/commands		# the commands, for the doc

if have hyperfine; then
	TIMER="hyperfine $(hyperfine --version | sed 's/^hyperfine //'), --warmup 1, median of the runs"
elif [ -x /usr/bin/time ]; then
	TIMER="/usr/bin/time (hyperfine absent), 1 warm-up, median of the runs"
else
	die "neither hyperfine nor /usr/bin/time: cannot time anything"
fi

# time NAME RUNS COMMAND: print the median, least and greatest wall time
# in seconds
time_cmd() {
	name=$1 runs=$2 cmd=$3
	say ""
	say "\$ $cmd"
	echo "$cmd" >> "$COMMANDS"
	if have hyperfine; then
		hyperfine --style basic --warmup 1 --runs "$runs" \
			--export-json "$DATA/foundation-$name.json" \
			--command-name "$name" "$cmd" >&2
		jq -r '.results[0] | "\(.median) \(.min) \(.max)"' "$DATA/foundation-$name.json"
	else
		sh -c "$cmd" || die "failed: $cmd"
		i=0
		: > "$TMP/times"
		while [ "$i" -lt "$runs" ]; do
			/usr/bin/time -f %e -o "$TMP/t" sh -c "$cmd" || die "failed: $cmd"
			tail -n 1 "$TMP/t" >> "$TMP/times"
			i=$((i + 1))
		done
		sort -n "$TMP/times" | awk '{ v[NR] = $1 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR] }'
	fi
}

# rss COMMAND: print the maximum resident set size in KiB (GNU time %M)
rss_cmd() {
	cmd=$1
	say ""
	say "\$ /usr/bin/time -f %M $cmd"
	echo "/usr/bin/time -f %M $cmd" >> "$COMMANDS"
	eval "/usr/bin/time -f %M -o \"\$TMP/rss\" $cmd" || die "failed: $cmd"
	tail -n 1 "$TMP/rss"
}

# The programs run as people run them: with the run log on, so every input
# and output byte is hashed (SHA-256) as it passes.
RUNLOG="$DATA/runs.ndjson"
ING="bin/ml-ingest --run-log $RUNLOG"
SPLIT="bin/ml-split --run-log $RUNLOG --ratio a=0.5,b=0.5 --tag part"

t_ing_csv=$(time_cmd ingest-csv "$RUNS" "$ING $CSV > /dev/null")
t_bare=$(time_cmd bare-libcsv "$RUNS" "$BUILD/bare-libcsv $CSV > /dev/null")
t_mlr=
have mlr && t_mlr=$(time_cmd mlr "$SLOW_RUNS" "mlr --icsv --ojsonl cat $CSV > /dev/null")
t_split=$(time_cmd split-ndjson "$RUNS" "$SPLIT < $NDJSON > /dev/null")
t_ing_nd=$(time_cmd ingest-ndjson "$RUNS" "$ING $NDJSON > /dev/null")
t_jq=$(time_cmd jq "$SLOW_RUNS" "jq -c . $NDJSON > /dev/null")

r_ing=; r_ing3=; r_split=; r_split3=
if [ -x /usr/bin/time ]; then
	r_ing=$(rss_cmd "$ING $CSV > /dev/null")
	r_ing3=$(rss_cmd "$ING $CSV3 > /dev/null")
	r_split=$(rss_cmd "$SPLIT < $NDJSON > /dev/null")
	r_split3=$(rss_cmd "$SPLIT < $NDJSON3 > /dev/null")
fi

# --- the table ------------------------------------------------------------
TABLE=$TMP/table
# secs "MEDIAN MIN MAX": the median, and the range of the runs
secs() { echo "$1" | awk '{ printf "%.3f s (%.3f–%.3f)", $1, $2, $3 }'; }
med() { echo "$1" | cut -d ' ' -f 1; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# ratio A B: A / B to two places
# (n/a when B is 0: too fast for the timer)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
# verdict EXPR: "met" when the awk expression holds
verdict() {
	case $1 in *n/a*) echo "not measured"; return ;; esac
	awk "BEGIN { exit !($1) }" && echo met || echo "**not met**"
}

rows=$ROWS
{
	echo "| task | tool | median (range of runs) or max RSS | ratio | target | met? |"
	echo "|---|---|--:|--:|---|---|"
	echo "| CSV → NDJSON, $rows rows | ml-ingest | $(secs "$t_ing_csv") | | | |"
	if [ -n "$t_mlr" ]; then
		r=$(ratio "$(med "$t_mlr")" "$(med "$t_ing_csv")")
		echo "| CSV → NDJSON | mlr --icsv --ojsonl cat | $(secs "$t_mlr") | mlr / ml-ingest = ${r}x | ml-ingest ≥ 8x faster | $(verdict "$r >= 8") |"
	else
		echo "| CSV → NDJSON | mlr | not installed | | ml-ingest ≥ 8x faster | not measured |"
	fi
	r=$(ratio "$(med "$t_ing_csv")" "$(med "$t_bare")")
	echo "| CSV parse only | bare-libcsv | $(secs "$t_bare") | ml-ingest / bare = ${r}x | ml-ingest ≤ 2x | $(verdict "$r <= 2") |"
	echo "| read NDJSON, $rows records | ml-split --tag | $(secs "$t_split") | | | |"
	echo "| read NDJSON | ml-ingest | $(secs "$t_ing_nd") | | | |"
	r=$(ratio "$(med "$t_jq")" "$(med "$t_split")")
	echo "| read NDJSON | jq -c . | $(secs "$t_jq") | jq / ml-split = ${r}x | ml-split ≥ 10x faster | $(verdict "$r >= 10") |"
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
		f=$DATA/foundation-$1.json
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
ver() { "$@" 2>/dev/null | head -n 1 || true; }
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- cmd common 2>/dev/null || commit="$commit plus uncommitted changes"
SECTION=$TMP/section
{
	echo "$BEGIN"
	echo "## Foundation: reading CSV and NDJSON"
	echo ""
	echo "Made by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), mlpipe $commit."
	echo ""
	echo "- Machine: $(nproc) CPUs (nproc), ${cpu:-unknown CPU}, $(uname -sr), $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)."
	echo "- Tools: $(ver bin/ml-ingest --version), $(ver mlr --version), $(ver jq --version), libcsv $(pkgver libcsv3), $(ver "$CC" --version)."
	echo "- Timing: $TIMER ($RUNS runs; $SLOW_RUNS for mlr and jq). Peak memory: GNU time \`%M\`, one run."
	echo "- Data: \`$BUILD/gen-data $ROWS $SEED\` → \`$CSV\` ($csv_lines lines, $(wc -c < "$CSV" | tr -d ' ') bytes: id, 5 numeric columns, 3 categorical, 1 boolean; ~2% empty fields; ~1.6% quoted fields with a comma), and \`$NDJSON\` made from it by ml-ingest ($nd_lines lines, $(wc -c < "$NDJSON" | tr -d ' ') bytes). The 3x inputs repeat the rows three times."
	echo ""
	cat "$TABLE"
	echo ""
	if [ -s "$NOTE" ]; then
		cat "$NOTE"
		echo ""
	fi
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
