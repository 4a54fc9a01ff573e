# bench/lib.sh: what bench/run.sh and bench/stats.sh share.  Not run on its
# own: each script does `set -eu`, goes to the top of the tree and sources it
# with `. bench/lib.sh`, sets JSON_PREFIX (the name of its hyperfine JSON
# files) and calls, in this order,
#   need_pkgs, wait_bins, build_helpers, make_data       (before measuring)
#   start_timing, time_cmd, rss_cmd                      (measuring)
#   table_head, vs_row, secs, med, mib, ratio, verdict   (the table)
#   ver, pkgver, doc_head, write_doc                     (the doc)
# POSIX sh, like the scripts.  sh has no local variables: the variables a
# function sets for the script to use are named in its comment; its others
# are scratch.
#
# Environment (for both scripts):
#   BENCH_ROWS=N        rows of the generated CSV (default 1000000)
#   BENCH_RUNS=N        timed runs per command (default 5)
#   CC                  the C compiler of the helpers (default cc)

ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-5}
SEED=42
BUILD=bench/build
DATA=bench/data
DOC=docs/BENCHMARKS.md
CC=${CC:-cc}
CFLAGS_BENCH='-std=c11 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes'

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 2; }
have() { command -v "$1" >/dev/null 2>&1; }
lines() { wc -l < "$1" | tr -d ' '; }
bytes() { wc -c < "$1" | tr -d ' '; }

# --- packages -------------------------------------------------------------
# need_pkgs PACKAGE:COMMAND...: install (as root, with apt-get) the Debian
# packages whose command is missing; COMMAND is a name looked up in PATH or
# an absolute path that must exist.  Never fails: what cannot be installed is
# said, and the script goes on without it.
need_pkgs() {
	missing=
	for pc in "$@"; do
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

# wait_bins PROGRAM...: wait up to 20 s for every PROGRAM to be executable
# (a make running alongside may be relinking them: give it a moment), else
# die naming them all ("a, b or c missing")
wait_bins() {
	i=0
	while :; do
		ok=1
		for b in "$@"; do [ -x "$b" ] || ok=; done
		[ -n "$ok" ] && return 0
		if [ "$i" -ge 20 ]; then
			names= last=
			for b in "$@"; do
				[ -n "$last" ] && names="${names:+$names, }$last"
				last=$b
			done
			die "${names:+$names or }$last missing: run 'make bench'"
		fi
		sleep 1
		i=$((i + 1))
	done
}

# --- helpers --------------------------------------------------------------
# build_helpers NAME[:LIBS]...: compile bench/NAME.c into $BUILD/NAME, linked
# with LIBS, when it is missing or older than its source (creates $BUILD and
# $DATA)
build_helpers() {
	mkdir -p "$BUILD" "$DATA"
	for h in "$@"; do
		case $h in
		*:*) libs=" ${h#*:}" h=${h%%:*} ;;
		*) libs= ;;
		esac
		if [ ! -x "$BUILD/$h" ] || [ "bench/$h.c" -nt "$BUILD/$h" ]; then
			say "\$ $CC $CFLAGS_BENCH -o $BUILD/$h bench/$h.c$libs"
			$CC $CFLAGS_BENCH -o "$BUILD/$h" "bench/$h.c"$libs
		fi
	done
}

# --- data -----------------------------------------------------------------
# make_data: $CSV ($BUILD/gen-data's $ROWS rows, stamped in $STAMP with the
# row count and seed) and $NDJSON (ml-ingest's of it), made again when out of
# date; sets CSV, NDJSON, STAMP, csv_lines and nd_lines
make_data() {
	CSV=$DATA/data.csv
	NDJSON=$DATA/data.ndjson
	STAMP=$DATA/data.stamp
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
}

# --- measuring ------------------------------------------------------------
# start_timing [HYPERFINE_NOTE [TIME_NOTE]]: make $TMP (removed on exit) and
# $COMMANDS (the commands timed, for the doc), and set TIMER, the doc's
# words for the timer, with the note of the timer used before "median of
# the runs"
start_timing() {
	TMP=$(mktemp -d)
	trap 'rm -rf "$TMP"' EXIT
	trap 'exit 130' INT TERM
	COMMANDS=$TMP/commands
	if have hyperfine; then
		TIMER="hyperfine $(hyperfine --version | sed 's/^hyperfine //'), ${1:+$1, }median of the runs"
	elif [ -x /usr/bin/time ]; then
		TIMER="/usr/bin/time (hyperfine absent), ${2:+$2, }median of the runs"
	else
		die "neither hyperfine nor /usr/bin/time: cannot time anything"
	fi
}

# time_cmd NAME RUNS WARMUPS IGNORE COMMAND: print the median, least and
# greatest wall time in seconds, then the mean CPU time (user + system) of
# the runs; IGNORE=1 accepts any exit status (ml-drift exits 1 on drift).
# hyperfine's JSON is kept as $DATA/$JSON_PREFIX-NAME.json.
time_cmd() {
	name=$1 runs=$2 warm=$3 ign=$4 cmd=$5
	say ""
	say "\$ $cmd"
	echo "$cmd" >> "$COMMANDS"
	if have hyperfine; then
		set -- --style basic --warmup "$warm" --runs "$runs" \
			--export-json "$DATA/$JSON_PREFIX-$name.json" --command-name "$name"
		[ "$ign" = 1 ] && set -- "$@" --ignore-failure
		hyperfine "$@" "$cmd" >&2
		jq -r '.results[0] | "\(.median) \(.min) \(.max) \(.user + .system)"' "$DATA/$JSON_PREFIX-$name.json"
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

# rss_cmd COMMAND: print the maximum resident set size in KiB (GNU time %M),
# then the wall and CPU seconds of that one run
rss_cmd() {
	cmd=$1
	say ""
	say "\$ /usr/bin/time -f %M $cmd"
	echo "/usr/bin/time -f %M $cmd" >> "$COMMANDS"
	eval "/usr/bin/time -f '%M %e %U %S' -o \"\$TMP/rss\" $cmd" || die "failed: $cmd"
	tail -n 1 "$TMP/rss" | awk '{ print $1, $2, $3 + $4 }'
}

# --- the table ------------------------------------------------------------
# table_head TASK TOOL TIMES: the table's header, then the row of the
# measurement the next rows compare with (TIMES from time_cmd)
table_head() {
	echo "| task | tool | median (range of runs) or max RSS | ratio | target | met? |"
	echo "|---|---|--:|--:|---|---|"
	echo "| $1 | $2 | $(secs "$3") | | | |"
}
# secs "MEDIAN MIN MAX ...": the median, and the range of the runs; when
# SECS_ONE_RUN=1, "(1 run)" instead of a range whose two ends are the same
secs() {
	echo "$1" | awk -v one="${SECS_ONE_RUN:-0}" '{
		if (one == 1 && $2 == $3) printf "%.3f s (1 run)", $1
		else printf "%.3f s (%.3f–%.3f)", $1, $2, $3 }'
}
med() { echo "$1" | cut -d ' ' -f 1; }
# med_secs "MEDIAN ...": the median alone, as "1.234 s"
med_secs() { med "$1" | awk '{ printf "%.3f s", $1 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# ratio A B: A / B to two places
# (n/a when B is 0: too fast for the timer)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
# verdict EXPR: "met" when the awk expression holds
verdict() {
	case $1 in *n/a*) echo "not measured"; return ;; esac
	awk "BEGIN { exit !($1) }" && echo met || echo "**not met**"
}
# vs_row TASK TOOL TIMES BASE WHAT TARGET TEST: the row of TOOL (a command
# line) against the BASE it is compared with (TIMES and BASE from time_cmd):
# its times, "WHAT = Rx" with R the ratio of the medians, TARGET, and
# whether "R TEST" holds; when TIMES is empty, TOOL's first word is "not
# installed"
vs_row() {
	if [ -z "$3" ]; then
		echo "| $1 | ${2%% *} | not installed | | $6 | not measured |"
		return
	fi
	r=$(ratio "$(med "$3")" "$(med "$4")")
	echo "| $1 | $2 | $(secs "$3") | $5 = ${r}x | $6 | $(verdict "$r $7") |"
}

# --- docs/BENCHMARKS.md ---------------------------------------------------
ver() { "$@" 2>/dev/null | head -n 1 || true; }
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
# doc_head TITLE [MACHINE_NOTE]: a section's heading, the script, date and
# commit it was made by, and the machine's line (ending with MACHINE_NOTE)
doc_head() {
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	git diff --quiet HEAD -- cmd common 2>/dev/null || commit="$commit plus uncommitted changes"
	echo "## $1"
	echo ""
	echo "Made by \`make bench\` (bench/${0##*/}) on $(date -u '+%Y-%m-%d %H:%M UTC'), mlpipe $commit."
	echo ""
	echo "- Machine: $(nproc) CPUs (nproc), ${model:-unknown CPU}, $(uname -sr), $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)${2:+; $2}."
}

# write_doc BEGIN END SECTION: put the lines BEGIN, the file SECTION, the
# commands timed ($COMMANDS) and END into $DOC in place of what stands from
# its line BEGIN to its line END, or at its end when either marker is
# missing (making $DOC, with its introduction, when it is missing)
write_doc() {
	begin=$1 end=$2 body=$3
	{
		echo "$begin"
		cat "$body"
		echo "Commands, from the top of the tree:"
		echo ""
		echo '```sh'
		cat "$COMMANDS"
		echo '```'
		echo "$end"
	} > "$TMP/section"
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
	if grep -qF "$begin" "$DOC" && grep -qF "$end" "$DOC"; then
		awk -v begin="$begin" -v end="$end" -v section="$TMP/section" '
			$0 == begin { while ((getline l < section) > 0) print l; skip = 1; next }
			$0 == end { skip = 0; next }
			!skip { print }' "$DOC" > "$DOC.tmp"
		mv "$DOC.tmp" "$DOC"
	else
		{ echo ""; cat "$TMP/section"; } >> "$DOC"
	fi
	say ""
	say "bench: wrote the table into $DOC"
}
