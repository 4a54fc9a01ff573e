#!/bin/sh
# bench/report.sh: the benchmarks of ml-report (`make bench` runs it after
# bench/eval.sh).
#
# Profiles the 100-column input of bench/stats.sh (bench/build/gen-wide, the
# same file, made here when missing) with ml-stats, then times ml-report
# making the page of that profile, and headless Chromium loading the page
# against Chromium loading an empty page, so that the difference is what
# the page costs to parse, lay out and draw; measures the page's size;
# prints one markdown table and writes it into docs/BENCHMARKS.md between
#   <!-- bench:report:begin --> and <!-- bench:report:end -->
# (appended at the end when the markers are missing) leaving the rest of
# that file alone.  A benchmark, never a test: it fails only when something
# cannot run (or Chromium does not show the page's charts), not when a
# target is missed.  What it shares with the other scripts is in
# bench/lib.sh.
#
# Targets (the issue's): the report of a 100-column profile renders in
# under a second and stays under 2 MB.
#
# Files it keeps in bench/data/:
#   wide-N.ndjson           the 100-column records (shared with stats.sh)
#   report-wide.profile     their profile, by ml-stats
#   report-wide.html        the page ml-report makes of it
#   report-empty.html       an empty HTML5 page, Chromium's baseline
#   report-dom.html         Chromium's --dump-dom of the page, checked
#   report-NAME.json        hyperfine's JSON of each command timed
# and in bench/build/: Chromium's profile directory, made anew each run, and
# its last screenshots of the two pages.
#
# Environment:
#   BENCH_BIN=DIR         the programs' directory (default bin)
#   BENCH_REPORT_ROWS=N   records of the 100-column input (default 100000)
#   BENCH_RUNS=N          timed runs of ml-report (default 5)
#   BENCH_SLOW_RUNS=N     timed runs of Chromium (default 10)
#   BENCH_NO_DOC=1        do not touch docs/BENCHMARKS.md
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh

BIN=${BENCH_BIN:-bin}
WIDE_N=${BENCH_REPORT_ROWS:-100000}
SLOW_RUNS=${BENCH_SLOW_RUNS:-10}
JSON_PREFIX=report		# hyperfine's JSON: $DATA/report-NAME.json
SIZE_LIMIT=2000000		# bytes: 2 MB
RENDER_LIMIT_S=1		# seconds
CHROMIUM=chromium

# --- packages, programs, helpers ------------------------------------------
# Debian package : command it provides
need_pkgs hyperfine:hyperfine jq:jq time:/usr/bin/time gcc:cc chromium:chromium
have cc || die "no C compiler"
have jq || die "jq is needed (to read hyperfine's JSON and the profile)"
wait_bins "$BIN/ml-report" "$BIN/ml-stats"
build_helpers gen-wide
chromium_ok=1
have "$CHROMIUM" || {
	chromium_ok=
	say "bench: $CHROMIUM missing: the page's load is not measured"
}

# --- data -----------------------------------------------------------------
# the 100-column input, as bench/stats.sh makes it
WIDE=$DATA/wide-$WIDE_N.ndjson
if [ ! -s "$WIDE" ] || [ "$BUILD/gen-wide" -nt "$WIDE" ]; then
	say "\$ $BUILD/gen-wide $WIDE_N $SEED > $WIDE"
	"$BUILD/gen-wide" "$WIDE_N" "$SEED" > "$WIDE.tmp"
	mv "$WIDE.tmp" "$WIDE"
fi
[ "$(lines "$WIDE")" -eq "$WIDE_N" ] || die "$WIDE has $(lines "$WIDE") lines, expected $WIDE_N"

# its profile, made again when the data or ml-stats is newer
PROFILE=$DATA/report-wide.profile
if [ ! -s "$PROFILE" ] || [ "$WIDE" -nt "$PROFILE" ] || [ "$BIN/ml-stats" -nt "$PROFILE" ]; then
	say "\$ $BIN/ml-stats --no-run-log $WIDE > $PROFILE"
	"$BIN/ml-stats" --no-run-log "$WIDE" > "$PROFILE.tmp"
	mv "$PROFILE.tmp" "$PROFILE"
fi
ncols=$(head -n 1 "$PROFILE" | jq -r '.columns')
[ "$ncols" -eq 100 ] || die "$PROFILE has $ncols columns, expected 100"
kinds=$(jq -r 'select(.column) | if .number then "number" elif .string then "string"
	elif .boolean then "boolean" else "other" end' "$PROFILE" | sort | uniq -c |
	awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
say "data: $PROFILE, the profile of $WIDE ($WIDE_N records): $ncols columns ($kinds), $(bytes "$PROFILE") bytes"

EMPTY=$DATA/report-empty.html
printf '%s\n' '<!DOCTYPE html>' '<html lang="en"><head><meta charset="utf-8">' \
	'<meta name="viewport" content="width=device-width, initial-scale=1">' \
	'<title>empty</title></head><body></body></html>' > "$EMPTY"
PAGE=$DATA/report-wide.html
DOM=$DATA/report-dom.html

# --- measuring ------------------------------------------------------------
start_timing

# ml-report runs as people run it: with the run log on, so every input and
# output byte is hashed (SHA-256) as it passes.
RUNLOG="$DATA/runs.ndjson"
REPORT="$BIN/ml-report --run-log $RUNLOG"

say ""
say "\$ $REPORT -o $PAGE $PROFILE"
$REPORT -o "$PAGE" "$PROFILE" || die "ml-report exits $? on $PROFILE"
size=$(bytes "$PAGE")
svgs=$(grep -o '<svg' "$PAGE" | wc -l | tr -d ' ')
say "bench: $PAGE: $size bytes, $svgs charts"

LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
t_html=$(time_cmd html "$RUNS" 1 0 "$REPORT -o $PAGE $PROFILE")
t_text=$(time_cmd text "$RUNS" 1 0 "$REPORT -f text $PROFILE > /dev/null")
r_html=
[ -x /usr/bin/time ] && r_html=$(rss_cmd "$REPORT -o $PAGE $PROFILE")

t_empty= t_page= t_shot_empty= t_shot_page= dom_svgs=
if [ -n "$chromium_ok" ]; then
	# a profile of its own, made anew, so that no other Chromium of the
	# machine (a test suite's) shares it; the flags are those of the tests
	rm -rf "$BUILD/chromium-profile"
	CHROME="$CHROMIUM --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --user-data-dir=$BUILD/chromium-profile"
	# the page, as Chromium has it once loaded, must hold every chart
	say ""
	say "\$ $CHROME --dump-dom file://$PWD/$PAGE > $DOM"
	$CHROME --dump-dom "file://$PWD/$PAGE" > "$DOM" 2> "$TMP/chromium.err" ||
		die "chromium exits $?: $(tail -n 3 "$TMP/chromium.err")"
	dom_svgs=$(grep -o '<svg' "$DOM" | wc -l | tr -d ' ')
	[ "$dom_svgs" -eq "$svgs" ] && [ "$svgs" -gt 0 ] ||
		die "Chromium's DOM of $PAGE has $dom_svgs charts, the page $svgs"
	t_empty=$(time_cmd chromium-empty "$SLOW_RUNS" 1 0 \
		"$CHROME --dump-dom file://$PWD/$EMPTY > /dev/null 2>&1")
	t_page=$(time_cmd chromium-report "$SLOW_RUNS" 1 0 \
		"$CHROME --dump-dom file://$PWD/$PAGE > /dev/null 2>&1")
	# a screenshot makes Chromium lay out and paint too, not only parse
	t_shot_empty=$(time_cmd screenshot-empty "$SLOW_RUNS" 1 0 \
		"$CHROME --window-size=1280,4000 --screenshot=$BUILD/report-empty.png file://$PWD/$EMPTY > /dev/null 2>&1")
	t_shot_page=$(time_cmd screenshot-report "$SLOW_RUNS" 1 0 \
		"$CHROME --window-size=1280,4000 --screenshot=$BUILD/report-wide.png file://$PWD/$PAGE > /dev/null 2>&1")
fi
load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)

# --- the table ------------------------------------------------------------
TABLE=$TMP/table
cpu() { echo "$1" | cut -d ' ' -f 4; }
kb() { echo "$1" | cut -d ' ' -f 1; }
# diff_s A B [FIELD]: field FIELD (default 1, the median; 2 the least, 4
# the CPU time) of A less that of B, in seconds
diff_s() {
	awk -v a="$(echo "$1" | cut -d ' ' -f "${3:-1}")" -v b="$(echo "$2" | cut -d ' ' -f "${3:-1}")" \
		'BEGIN { printf "%.3f", a - b }'
}
{
	table_head "the page of a 100-column profile ($WIDE_N records; $kinds)" \
		"ml-report -o" "$t_html"
	r=$(ratio "$(med "$t_text")" "$(med "$t_html")")
	echo "| the same profile as text | ml-report -f text | $(secs "$t_text") | text / html = ${r}x | (for comparison) | |"
	mb=$(awk -v b="$size" 'BEGIN { printf "%.2f MB", b / 1000000 }')
	echo "| the page's size ($svgs charts) | ml-report -o | $size bytes ($mb) | | < 2 MB | $(verdict "$size < $SIZE_LIMIT") |"
	if [ -n "$r_html" ]; then
		echo "| peak memory, making the page | ml-report -o | $(mib "$(kb "$r_html")") | | (reported) | |"
	fi
	if [ -n "$chromium_ok" ]; then
		echo "| load an empty page | chromium --headless --dump-dom | $(secs "$t_empty") | | (baseline) | |"
		d=$(diff_s "$t_page" "$t_empty")
		echo "| load the page, $dom_svgs charts in the DOM | chromium --headless --dump-dom | $(secs "$t_page") | report − empty = $d s ($(diff_s "$t_page" "$t_empty" 4) s CPU) | renders in < 1 s | $(verdict "$d < $RENDER_LIMIT_S") |"
		echo "| screenshot of an empty page, 1280×4000 | chromium --headless --screenshot | $(secs "$t_shot_empty") | | (baseline) | |"
		d=$(diff_s "$t_shot_page" "$t_shot_empty")
		echo "| screenshot of the page, 1280×4000 (lays out and paints) | chromium --headless --screenshot | $(secs "$t_shot_page") | report − empty = $d s ($(diff_s "$t_shot_page" "$t_shot_empty" 4) s CPU) | renders in < 1 s | $(verdict "$d < $RENDER_LIMIT_S") |"
	else
		echo "| load the page | chromium | not installed | | renders in < 1 s | not measured |"
	fi
} > "$TABLE"

NOTE=$TMP/note
{
	printf 'CPU time (user + system, mean of the runs): ml-report -o %.3f s, -f text %.3f s' \
		"$(cpu "$t_html")" "$(cpu "$t_text")"
	if [ -n "$chromium_ok" ]; then
		printf '; Chromium --dump-dom on the empty page %.3f s, on the report %.3f s; --screenshot %.3f s and %.3f s' \
			"$(cpu "$t_empty")" "$(cpu "$t_page")" "$(cpu "$t_shot_empty")" "$(cpu "$t_shot_page")"
		# the fastest runs are the least disturbed by the rest of the
		# machine's work: their difference is the other estimate
		printf '. Fastest runs: report − empty = %s s with --dump-dom, %s s with --screenshot' \
			"$(diff_s "$t_page" "$t_empty" 2)" "$(diff_s "$t_shot_page" "$t_shot_empty" 2)"
	fi
	printf '. The profile itself is %s bytes; the page holds none of its raw data.\n' "$(bytes "$PROFILE")"
} > "$NOTE"

say ""
cat "$TABLE"
say ""
cat "$NOTE" >&2

[ "${BENCH_NO_DOC:-}" = 1 ] && exit 0

# --- docs/BENCHMARKS.md ---------------------------------------------------
SECTION=$TMP/body
{
	doc_head "Reports: ml-report and headless Chromium" \
		"load average (1, 5, 15 min) $LOAD0 when the timing began, $load when it ended (a shared machine: other work runs alongside)"
	chv=
	[ -n "$chromium_ok" ] && chv=", $(ver "$CHROMIUM" --version 2>/dev/null)"
	echo "- Tools: $(ver "$BIN/ml-report" --version), $(ver "$BIN/ml-stats" --version)$chv."
	echo "- Timing: $TIMER ($RUNS runs of ml-report and $SLOW_RUNS of Chromium, each after 1 warm-up). Peak memory: GNU time \`%M\`, one run. Chromium runs with \`--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking\`, as the tests run it, and a profile directory of its own; its time includes starting the browser, so the render cost is the difference from the same command on an empty HTML5 page. \`--dump-dom\` returns once the page has loaded and been parsed; \`--screenshot\` also lays it out and paints a 1280×4000 window of it."
	echo "- Data: \`$PROFILE\` ($(bytes "$PROFILE") bytes), \`$BIN/ml-stats\`'s profile of \`$WIDE\` ($WIDE_N records of \`$BUILD/gen-wide $WIDE_N $SEED\`, the 100-column input of the statistics section): $kinds columns. Before timing, the script checks that Chromium's DOM of the page holds all its $svgs charts."
	echo ""
	cat "$TABLE"
	echo ""
	cat "$NOTE"
	echo ""
} > "$SECTION"
write_doc '<!-- bench:report:begin -->' '<!-- bench:report:end -->' "$SECTION"
