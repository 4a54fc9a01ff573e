#!/usr/bin/env bats
# ml-report: pages of every kind of artifact, alone and together, checked
# by an HTML5 parser in strict mode and by headless Chromium (console, DOM,
# screenshot); accessibility, determinism, size, recognising artifacts, the
# text summary, the run log and the shared conventions.
#
# The artifacts are real, made once per file in setup_file by the real
# programs from 600 generated records (numbers with nulls, a string region,
# a boolean vip, a binary label churn that depends on them) and a batch of
# 400 whose age and income have moved: a profile (ml-stats), the drift
# between them (ml-drift, exit 1: age, income and churn drift, region and
# vip do not), a logistic model (ml-train), its metrics by region with
# bootstrap intervals and curves (ml-eval), a registry with a promotion, a
# rejection by a failed gate, a second promotion and a rollback
# (ml-promote), and the run log of all that.  The page of all of them is
# made there too, and Chromium renders it once for each view the tests
# look at, all at once: its DOM with the console log, a light and a dark
# screenshot, and the DOM of a copy broken on purpose (the console check
# must see its error).
# fixtures/report/page.py reads pages with html5lib (and a PNG with zlib
# and NumPy).

load helper

SECTIONS=(profile drift evaluation model registry runs)

setup_file() {
	if [ -n "${ML_BIN:-}" ]; then
		PATH="$ML_BIN:$PATH"
		export PATH
	fi
	cd "$BATS_FILE_TMPDIR" || return 1
	export ML_RUN_LOG=$BATS_FILE_TMPDIR/runs.ndjson
	gen_data 1 600 >data.ndjson
	gen_data 2 400 1 >batch.ndjson
	ml-stats -f ndjson -o profile.ndjson data.ndjson
	local rc=0
	ml-drift --exclude id profile.ndjson batch.ndjson >drift.ndjson || rc=$?
	[ "$rc" = 1 ]
	ml-split --ratio train=0.7,test=0.3 -o train=train.ndjson -o test=test.ndjson data.ndjson
	ml-train -t churn -a logistic -o model.bundle train.ndjson
	ml-train -t churn -a logistic -p C=0.001 -o weak.bundle train.ndjson
	ml-eval model.bundle test.ndjson --slice region --bootstrap 50 --curves curves.ndjson >metrics.ndjson
	ml-eval weak.bundle test.ndjson >weak.metrics.ndjson
	ml-promote -r reg promote model.bundle --to production -m metrics.ndjson >/dev/null
	rc=0
	ml-promote -r reg promote weak.bundle --to production -m weak.metrics.ndjson \
		--min auc=0.99 --reason 'too weak' >/dev/null 2>&1 || rc=$?
	[ "$rc" = 1 ]
	ml-promote -r reg promote weak.bundle --to production -m weak.metrics.ndjson >/dev/null
	ml-promote -r reg rollback production >/dev/null
	export ML_RUN_LOG=off
	gen_wide 300 >wide.ndjson
	ml-stats -f ndjson -o wide.profile.ndjson wide.ndjson
	# the page of everything, and Chromium's view of it (the tests say
	# when these are missing)
	if ml-report -o all.html "${ALL[@]}" 2>all.err; then
		# the same page with an SVG attribute Chromium rejects: the console
		# check must catch it
		{
			cat all.html
			echo '<svg role="img"><title>x</title><path d="M NaN 0 L 10 10"/></svg>'
		} >broken.html
		chromium_run dom --enable-logging=stderr --v=0 --dump-dom "file://$PWD/all.html" &
		local dom=$!
		chromium_run broken --enable-logging=stderr --v=0 --dump-dom "file://$PWD/broken.html" &
		local broken=$!
		# screenshots at half scale: 640x800 pixels are enough, and quicker
		# to decode
		chromium_run shot --screenshot="$PWD/all.png" --window-size=1280,1600 --hide-scrollbars \
			--force-device-scale-factor=0.5 \
			"file://$PWD/all.html" &
		local shot=$!
		chromium_run dark --force-dark-mode --screenshot="$PWD/dark.png" --window-size=1280,1600 \
			--hide-scrollbars --force-device-scale-factor=0.5 "file://$PWD/all.html" &
		local dark=$!
		wait "$dom" "$broken" "$shot" "$dark" || true
	fi
}

setup() {
	ml_setup
	D=$BATS_FILE_TMPDIR
}

# Every artifact; ml-report's argument list for "all of them".
ALL=(profile.ndjson drift.ndjson metrics.ndjson curves.ndjson model.bundle reg runs.ndjson)

# gen_data SEED N [SHIFT]: N records {id, age, income, region, vip, churn};
# every 23rd age and 17th income is null; SHIFT 1 moves age up and spreads
# income, leaving region and vip as they are; churn is 1 when a noisy score
# of them all is positive.
gen_data() {
	awk -v seed="$1" -v n="$2" -v shift="${3:-0}" 'BEGIN {
		srand(seed)
		split("north south east west", regions, " ")
		for (i = 1; i <= n; i++) {
			age = 20 + rand() * 50 + shift * 12
			income = 1000 + rand() * 4000 * (1 + shift)
			r = rand(); region = regions[1 + int(r * r * 4)]
			vip = rand() < 0.3 ? "true" : "false"
			score = (age - 45) / 10 + (income - 3000) / 1000 + (region == "north") \
				+ (vip == "true" ? 1.5 : -0.5) + (rand() - 0.5) * 2
			printf "{\"id\":%d,\"age\":%s,\"income\":%s,\"region\":\"%s\",\"vip\":%s,\"churn\":%d}\n", i,
				i % 23 == 0 ? "null" : sprintf("%.1f", age),
				i % 17 == 0 ? "null" : sprintf("%.2f", income), region, vip, (score > 0)
		}
	}'
}

# gen_wide N: N records of 100 columns: n00..n69 numbers, s70..s89 strings
# of 30 values, b90..b99 booleans.
gen_wide() {
	awk -v n="$1" 'BEGIN {
		srand(7)
		for (i = 0; i < n; i++) {
			line = "{"
			for (c = 0; c < 70; c++)
				line = line sprintf("\"n%02d\":%.3f,", c, rand() * (c + 1) * 10)
			for (c = 70; c < 90; c++)
				line = line sprintf("\"s%02d\":\"v%d\",", c, int(rand() * rand() * 30))
			for (c = 90; c < 100; c++)
				line = line sprintf("\"b%02d\":%s%s", c, rand() < 0.4 ? "true" : "false", c < 99 ? "," : "}")
			print line
		}
	}'
}

# chromium_run NAME ARGS...: headless Chromium with ARGS, its own profile
# directory, at most 60 s; stdout in NAME.out, stderr in NAME.err.
chromium_run() {
	local name=$1
	shift
	timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --user-data-dir="$BATS_FILE_TMPDIR/chromium-$name" \
		"$@" >"$BATS_FILE_TMPDIR/$name.out" 2>"$BATS_FILE_TMPDIR/$name.err"
}

# page CMD FILE...: fixtures/report/page.py (see its help).
page() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/report/page.py" "$@"
}

# report ARGS...: ml-report ARGS must succeed and say nothing on stderr.
report() {
	run --separate-stderr ml-report "$@"
	assert_success
	assert_equal "$stderr" ""
}

# assert_made_all: setup_file made the page of all the artifacts.
assert_made_all() {
	if [ ! -s "$D/all.html" ]; then
		fail "ml-report ${ALL[*]} made no page in setup_file: $(cat "$D/all.err" 2>/dev/null)"
	fi
}

# assert_strict FILE...: each FILE parses with html5lib in strict mode.
assert_strict() {
	run page strict "$@"
	if [ "$status" != 0 ]; then
		echo "$output" | batslib_decorate "html5lib (strict) rejects the page" | fail
	fi
}

# assert_self_contained FILE...: no script and no reference to anything
# outside the page.
assert_self_contained() {
	local found
	found=$(grep -n -o -i -E '.{0,40}(https?://|src=|url\(|@import|<script|<link|<img|<iframe|<object|<embed).{0,40}' "$@" || true)
	if [ -n "$found" ]; then
		echo "$found" | head -10 | batslib_decorate "the page refers outside itself or has a script" | fail
	fi
}

# sections FILE: the section ids of FILE in page order, space-separated.
sections() {
	page sections "$1" | jq -r .id | tr '\n' ' ' | sed 's/ $//'
}

# svgs FILE SECTION: one JSON line per <svg> of SECTION of FILE.
svgs() {
	page svgs "$1" | jq -c --arg s "$2" 'select(.section == $s)'
}

# word NAME: a jq regex for NAME as a whole word.
word() {
	echo "(^|[^A-Za-z0-9_])$1([^A-Za-z0-9_]|\$)"
}

# assert_near WANT GOT TOL: |WANT - GOT| <= TOL.
assert_near() {
	if ! awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'; then
		fail "expected $1 (± $3), got '$2'"
	fi
}

# number_after WORD TEXT: the first number after WORD in TEXT.
number_after() {
	[[ $2 =~ $1[^0-9]*([0-9]*\.?[0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# drift_order: the drift columns in the order the page must show them:
# drifted first, then by statistic / threshold, descending.
drift_order() {
	jq -rs 'map(select(.kind == "column")) | sort_by([(if .drifted then 0 else 1 end), -(.statistic / .threshold)])
		| .[].column' "$D/drift.ndjson"
}

# --- pages that parse, self-contained ------------------------------------------

@test "each artifact alone gives a page that parses strictly, with only its section, no script and no external reference" {
	local a want titles t pages=()
	for a in "${ALL[@]}"; do
		# the section, and the charts it must have (a regex of their titles)
		case $a in
		profile.ndjson) want=profile titles="histogram" ;;
		drift.ndjson) want=drift titles="income" ;;
		# metrics alone: the confusion matrix and the per-slice bars
		metrics.ndjson) want=evaluation titles="confusion auc" ;;
		curves.ndjson) want=evaluation titles="ROC precision calibration" ;;
		model.bundle) want=model titles="importance" ;;
		reg) want=registry titles="." ;;
		runs.ndjson) want=runs titles="" ;;
		esac
		report -o "$a.html" "$D/$a"
		assert_equal "$output" ""
		assert_equal "$(sections "$a.html")" "$want"
		for t in $titles; do
			run jq -c --arg t "$t" 'select(.title | test($t; "i"))' <(svgs "$a.html" "$want")
			[ -n "$output" ] || fail "$a alone: no chart titled like '$t' in #$want"
		done
		pages+=("$a.html")
	done
	assert_strict "${pages[@]}"
	assert_self_contained "${pages[@]}"
}

@test "all artifacts together give one page: strict, self-contained, the sections in order under <h2> headings, a table of contents" {
	assert_made_all
	assert_strict "$D/all.html"
	assert_self_contained "$D/all.html"
	assert_equal "$(sections "$D/all.html")" "${SECTIONS[*]}"
	assert_equal "$(page sections "$D/all.html" | jq -r .heading_tag | sort -u)" h2
	local s
	for s in "${SECTIONS[@]}"; do
		assert grep -q "href=\"#$s\"" "$D/all.html"
	done
	# the order of the arguments does not change the order of the sections
	local reversed=() i
	for ((i = ${#ALL[@]} - 1; i >= 0; i--)); do
		reversed+=("$D/${ALL[i]}")
	done
	report -o reversed.html "${reversed[@]}"
	assert_equal "$(sections reversed.html)" "${SECTIONS[*]}"
	# the head HTML5 wants
	run head -c 2000 "$D/all.html"
	assert_output --regexp '^<!DOCTYPE html>'
	assert_output --partial '<html lang="en">'
	assert_output --partial '<meta charset="utf-8">'
	assert_output --partial '<meta name="viewport"'
	assert_equal "$(page title "$D/all.html" | jq -r .title)" "mlpipe report"
}

@test "--title is the page's title, escaped: & < > \" ' in it keep the page strict" {
	local title="Q3 <b>churn</b> & \"friends\" 'n' stuff"
	report --title "$title" -o t.html "$D/profile.ndjson"
	assert_strict t.html
	assert_equal "$(page title t.html | jq -r .title)" "$title"
	refute grep -q '<b>churn' t.html
}

@test "names and values from the data are escaped: a column named with & < > \" ' and a value that closes the SVG" {
	jq -nc 'range(50) | {("a<b & \"c\" '"'"'d'"'"'"): ., s: (if . % 2 == 1 then "</svg><script>alert(1)</script>" else "x&amp;y" end)}' >evil.ndjson
	ml-stats -f ndjson -o evil.profile.ndjson evil.ndjson
	report -o evil.html evil.profile.ndjson
	assert_strict evil.html
	assert_self_contained evil.html
	page svgs evil.html >svgs.ndjson
	assert [ "$(jq -c --arg c "a<b & \"c\" 'd'" 'select(.title | startswith($c))' svgs.ndjson)" != "" ]
	assert [ "$(jq -c 'select(.text | contains("</svg><script>") and contains("x&amp;y"))' svgs.ndjson)" != "" ]
}

# --- Chromium -------------------------------------------------------------------

@test "headless Chromium loads the page without console errors (a broken SVG attribute in a copy is caught)" {
	assert_made_all
	assert [ -e "$D/dom.err" ]
	# the check can fail: Chromium reports the copy's bad path on its console
	run grep -E 'CONSOLE|Uncaught' "$D/broken.err"
	assert_success
	assert_output --partial 'attribute d'
	# and finds nothing to report on the page
	run grep -E 'CONSOLE|Uncaught' "$D/dom.err"
	assert_failure
	assert_output ""
	assert [ -s "$D/dom.out" ]
}

@test "Chromium's DOM: each numeric column's histogram with p5, p50, p95 markers, top-value bars for the string, two bars for the boolean" {
	assert_made_all
	assert [ -s "$D/dom.out" ]
	page svgs "$D/dom.out" >svgs.ndjson
	local col count found
	for col in $(jq -r 'select(.column and .types.number > 0) | .column' "$D/profile.ndjson"); do
		count=$(jq -r --arg c "$col" 'select(.column == $c) | .number.count' "$D/profile.ndjson")
		found=$(jq -c --arg w "$(word "$col")" 'select(.section == "profile" and (.title | test($w))
			and (.title | test("histogram"; "i")))' svgs.ndjson)
		[ -n "$found" ] || fail "no histogram of $col in #profile"
		# the number of values in the title or its text alternative
		assert_regex "$(jq -r '.title + " " + .desc' <<<"$found")" "(^|[^0-9])$count([^0-9]|\$)"
		assert_regex "$(jq -r .text <<<"$found")" "p5([^0-9]|\$)"
		assert_regex "$(jq -r .text <<<"$found")" "p50([^0-9]|\$)"
		assert_regex "$(jq -r .text <<<"$found")" "p95([^0-9]|\$)"
	done
	found=$(jq -c --arg w "$(word region)" 'select(.section == "profile" and (.title | test($w)))' svgs.ndjson)
	assert [ -n "$found" ]
	for v in north south east west; do
		assert_regex "$(jq -r .text <<<"$found")" "$v"
	done
	found=$(jq -c --arg w "$(word vip)" 'select(.section == "profile" and (.title | test($w)))' svgs.ndjson)
	assert [ -n "$found" ]
	assert_regex "$(jq -r .text <<<"$found")" true
	assert_regex "$(jq -r .text <<<"$found")" false
}

@test "Chromium's DOM: a chart per drift column, drifted first then by statistic/threshold, with the method's unit and the verdict" {
	assert_made_all
	assert [ -s "$D/dom.out" ]
	page svgs "$D/dom.out" >svgs.ndjson
	local col order
	for col in $(jq -r 'select(.kind == "column") | .column' "$D/drift.ndjson"); do
		run jq -c --arg w "$(word "$col")" 'select(.section == "drift" and (.title | test($w)))' svgs.ndjson
		[ -n "$output" ] || fail "no chart of $col in #drift"
	done
	# the order of the columns' first charts
	order=$(jq -r 'select(.section == "drift") | .title' svgs.ndjson | while IFS= read -r t; do
		for col in age income region vip churn; do
			[[ $t =~ (^|[^A-Za-z0-9_])$col([^A-Za-z0-9_]|$) ]] && echo "$col"
		done
	done | awk '!seen[$0]++' | tr '\n' ' ')
	assert_equal "$order" "$(drift_order | tr '\n' ' ')"
	page text "$D/dom.out" drift >drift.txt
	# the unit written out, and a "drifted" badge per drifted column
	assert grep -q 'Kolmogorov-Smirnov' drift.txt
	assert grep -q -i 'chi-square' drift.txt
	assert [ "$(grep -o -i drifted drift.txt | wc -l)" -ge 3 ]
	# the verdict, before the first column: 3 columns drifted
	local first
	first=$(drift_order | head -1)
	assert_regex "$(sed "s/$first.*//" drift.txt)" '(^|[^0-9])3([^0-9]|$)'
}

@test "Chromium's DOM: ROC (with its AUC), precision-recall (with its AP), calibration, confusion matrix and per-slice bars" {
	assert_made_all
	assert [ -s "$D/dom.out" ]
	page svgs "$D/dom.out" >svgs.ndjson
	local overall found
	overall=$(head -1 "$D/metrics.ndjson")
	found=$(jq -c 'select(.section == "evaluation" and (.title | test("ROC")) and (.title | test("AUC")))' svgs.ndjson | head -1)
	assert [ -n "$found" ]
	assert_near "$(jq .auc <<<"$overall")" "$(number_after AUC "$(jq -r .title <<<"$found")")" 0.0051
	found=$(jq -c 'select(.section == "evaluation" and (.title | test("precision"; "i"))
		and (.title | test("(^|[^A-Za-z])AP([^A-Za-z]|$)")))' svgs.ndjson | head -1)
	assert [ -n "$found" ]
	assert_near "$(jq .average_precision <<<"$overall")" "$(number_after AP "$(jq -r .title <<<"$found")")" 0.0051
	found=$(jq -c 'select(.section == "evaluation" and (.title | test("calibration"; "i")))' svgs.ndjson)
	assert [ -n "$found" ]
	# the confusion matrix writes its counts in its cells
	found=$(jq -c 'select(.section == "evaluation" and (.title | test("confusion"; "i")))' svgs.ndjson)
	assert [ -n "$found" ]
	local n
	for n in $(jq -r '.confusion | .tn, .fp, .fn, .tp' <<<"$overall"); do
		assert_regex "$(jq -r .text <<<"$found")" "(^|[^0-9.])$n([^0-9.]|\$)"
	done
	# per-slice bars of the AUC
	found=$(jq -c 'select(.section == "evaluation" and ((.title + " " + .desc) | test("auc"; "i"))
		and (.text | test("north") and test("south") and test("east") and test("west")))' svgs.ndjson)
	assert [ -n "$found" ]
}

@test "Chromium's DOM: the model's importance bars name every feature; the registry's timeline labels each kind of event" {
	assert_made_all
	assert [ -s "$D/dom.out" ]
	page svgs "$D/dom.out" >svgs.ndjson
	local found f
	found=$(jq -c 'select(.section == "model" and (.title | test("importance"; "i")))' svgs.ndjson)
	assert [ -n "$found" ]
	for f in age income region vip; do
		assert_regex "$(jq -r .text <<<"$found")" "$f"
	done
	found=$(jq -c 'select(.section == "registry")' svgs.ndjson)
	assert [ -n "$found" ]
	for f in register promote reject rollback; do
		assert_regex "$(jq -r .text <<<"$found" | tr '[:upper:]' '[:lower:]')" "$f"
	done
}

@test "a Chromium screenshot of the page is not blank; light by default, dark when the system asks for dark" {
	assert_made_all
	[ -s "$D/all.png" ] || fail "no screenshot: $(grep -v -e dbus -e WARNING "$D/shot.err" | head -5)"
	run page png "$D/all.png" 100
	assert_success
	local png=$output
	assert_equal "$(jq -c '[.width, .height]' <<<"$png")" '[640,800]'
	# charts in several colours, and the content area below the top is not
	# one colour
	[ "$(jq .colours <<<"$png")" -gt 16 ] || fail "$png"
	[ "$(jq .content_colours <<<"$png")" -gt 8 ] || fail "$png"
	jq -e '.content_top_share < 0.99' <<<"$png" || fail "$png"
	# the background is light; with prefers-color-scheme: dark it is dark,
	# and the page still shows its charts
	jq -e '.content_top_colour | add > 3 * 192' <<<"$png" || fail "$png"
	[ -s "$D/dark.png" ] || fail "no dark screenshot: $(grep -v -e dbus -e WARNING "$D/dark.err" | head -5)"
	run page png "$D/dark.png" 100
	assert_success
	png=$output
	jq -e '.content_top_colour | add < 3 * 64' <<<"$png" || fail "$png"
	[ "$(jq .content_colours <<<"$png")" -gt 8 ] || fail "$png"
	jq -e '.content_top_share < 0.99' <<<"$png" || fail "$png"
}

# --- accessibility ------------------------------------------------------------

@test "every chart: <svg role=img> labelled by its <title> and <desc>, in a <figure> with a <figcaption>; unique ids; axis labels on charts with axes" {
	assert_made_all
	page svgs "$D/all.html" >svgs.ndjson
	assert [ "$(nlines svgs.ndjson)" -gt 10 ]
	local bad
	bad=$(jq -c 'select(.role != "img" or .title == null or .title == "" or .desc == null or .desc == ""
		or .title_id == null or .desc_id == null or .labelledby != (.title_id + " " + .desc_id)
		or (.in_figure | not) or (.figcaption // "") == "") | [.section, .title, .role, .labelledby]' svgs.ndjson)
	assert_equal "$bad" ""
	assert_equal "$(page ids "$D/all.html")" ""
	# histograms, curves and calibration have labelled axes
	bad=$(jq -c 'select((.title | test("histogram|ROC|precision|calibration"; "i")) and (.axis_labels | length) < 2)
		| [.title, .axis_labels]' svgs.ndjson)
	assert_equal "$bad" ""
	assert [ "$(jq -c 'select(.title | test("ROC"))' svgs.ndjson | wc -l)" -gt 0 ]
	# the plotted numbers as a table, for short series
	assert [ "$(jq -c 'select(.details_table)' svgs.ndjson | wc -l)" -gt 0 ]
}

@test "short charts carry their plotted numbers in a <details> data table: the boolean's bars, the confusion matrix, the importance bars" {
	assert_made_all
	page svgs "$D/all.html" >svgs.ndjson
	# and so do the histograms, the top values and the calibration bins
	run jq -r --arg vip "$(word vip)" --arg region "$(word region)" 'select(((.section == "profile"
		and (.title | test($vip) or test($region))) or (.title | test("confusion|importance|histogram|calibration"; "i")))
		and (.details_table | not)) | .title' svgs.ndjson
	assert_output ""
}

@test "the CSS follows a dark system theme, prints cleanly, and draws with the Okabe-Ito palette" {
	assert_made_all
	assert grep -q -E 'prefers-color-scheme:[[:space:]]*dark' "$D/all.html"
	assert grep -q '@media print' "$D/all.html"
	assert grep -q -E 'break-inside:[[:space:]]*avoid' "$D/all.html"
	assert grep -q -i '#0072B2' "$D/all.html"
	assert grep -q -i '#E69F00' "$D/all.html"
	# the chart coordinates keep at most one decimal
	run grep -o -E '(( (x|y|x1|x2|y1|y2|cx|cy|r|width|height)="-?[0-9]*\.[0-9]{2,}")|( (d|points)="[^"]*[0-9]\.[0-9]{2,}))' "$D/all.html"
	assert_output ""
}

# --- what the sections say ------------------------------------------------------

@test "the sections name what their artifacts hold: the model's lineage, the failed gate and reason, the tools run" {
	assert_made_all
	local model bundle training tool
	model=$(page text "$D/all.html" model)
	bundle=$(sha256sum <"$D/model.bundle" | cut -c1-12)
	training=$(tar -xOf "$D/model.bundle" manifest.json | jq -r '.training.sources[0]' | cut -c8-19)
	assert_regex "$model" "$bundle"
	assert_regex "$model" "$training"
	assert_regex "$model" logistic
	assert_regex "$model" churn
	assert_regex "$model" "$(tar -xOf "$D/model.bundle" manifest.json | jq -r .training.records)"
	# region's encoding
	assert_regex "$model" categor
	local profile
	profile=$(page text "$D/all.html" profile)
	assert_regex "$profile" 600
	assert_regex "$profile" "$(head -1 "$D/profile.ndjson" | jq -r .source | cut -c8-19)"
	run page text "$D/all.html" registry
	assert_output --partial 'too weak'
	assert_output --partial -- '--min auc=0.99'
	run page text "$D/all.html" runs
	for tool in $(jq -r .tool "$D/runs.ndjson" | sort -u); do
		assert_output --partial "$tool"
	done
	run page text "$D/all.html" evaluation
	assert_output --regexp '[Aa]ccuracy'
}

@test "the footer names each input with its sha256" {
	assert_made_all
	local a
	for a in "${ALL[@]}"; do
		[ -f "$D/$a" ] || continue
		assert grep -q "$(sha256sum <"$D/$a" | cut -d' ' -f1)" "$D/all.html"
	done
}

@test "--columns keeps only those columns in the profile and the drift" {
	report --columns age,region -o c.html "$D/profile.ndjson" "$D/drift.ndjson"
	page svgs c.html >svgs.ndjson
	assert [ "$(jq -c --arg w "$(word age)" 'select(.section == "profile" and (.title | test($w)))' svgs.ndjson)" != "" ]
	assert [ "$(jq -c --arg w "$(word region)" 'select(.section == "drift" and (.title | test($w)))' svgs.ndjson)" != "" ]
	assert_equal "$(jq -c 'select(.title | test("income|vip|churn"))' svgs.ndjson)" ""
}

# --- determinism and size --------------------------------------------------------

@test "the same inputs give the same bytes, seconds later, for the page and the text" {
	assert_made_all
	local a args=()
	for a in "${ALL[@]}"; do args+=("$D/$a"); done
	# setup_file made all.html from paths relative to its directory
	(cd "$D" && ml-report -o "$BATS_TEST_TMPDIR/again.html" "${ALL[@]}")
	assert_bytes_equal "$D/all.html" again.html
	report -f text -o one.txt "${args[@]}"
	report -f text -o two.txt "${args[@]}"
	assert_bytes_equal one.txt two.txt
}

@test "a profile of 100 columns gives a strict page under 2 MB with a chart per column" {
	report -o wide.html "$D/wide.profile.ndjson"
	assert [ "$(stat -c %s wide.html)" -lt 2000000 ]
	assert_strict wide.html
	assert [ "$(svgs wide.html profile | wc -l)" -ge 100 ]
	run grep -o -E '(( (x|y|x1|x2|y1|y2|cx|cy|r|width|height)="-?[0-9]*\.[0-9]{2,}")|( (d|points)="[^"]*[0-9]\.[0-9]{2,}))' wide.html
	assert_output ""
}

# --- recognising artifacts --------------------------------------------------------

@test "a profile and a drift result piped together on stdin give both sections, as the files do" {
	cat "$D/profile.ndjson" "$D/drift.ndjson" | ml-report -o piped.html
	assert_equal "$(sections piped.html)" "profile drift"
	report -o files.html "$D/profile.ndjson" "$D/drift.ndjson"
	assert_equal "$(page svgs piped.html | jq -c '[.section, .title]')" "$(page svgs files.html | jq -c '[.section, .title]')"
	# - is standard input too
	ml-report -o dash.html - "$D/metrics.ndjson" <"$D/drift.ndjson"
	assert_equal "$(sections dash.html)" "drift evaluation"
	# a profile's dataset line starts a new profile: two profiles in a row
	# are two profiles
	cat "$D/profile.ndjson" "$D/wide.profile.ndjson" | ml-report -o two.html
	page svgs two.html >svgs.ndjson
	assert [ "$(jq -c 'select(.section == "profile" and (.title | test("^income")))' svgs.ndjson)" != "" ]
	assert [ "$(jq -c 'select(.section == "profile" and (.title | test("^n42")))' svgs.ndjson)" != "" ]
}

@test "a profile and a bundle through pipes are read whole, as the files are" {
	report -o files.html "$D/wide.profile.ndjson" "$D/model.bundle"
	# more than the 10 KiB a bundle's head takes: none of it is lost to a look
	[ "$(wc -c <"$D/wide.profile.ndjson")" -gt 20000 ]
	report -o pipes.html <(cat "$D/wide.profile.ndjson") <(cat "$D/model.bundle")
	assert_equal "$(sections pipes.html)" "$(sections files.html)"
	assert_equal "$(page svgs pipes.html | jq -c '[.section, .title]')" "$(page svgs files.html | jq -c '[.section, .title]')"
}

@test "an unknown format is refused with its name and the formats known: FILE:LINE, exit 2" {
	cp "$D/profile.ndjson" mixed.ndjson
	echo '{"format":"mlpipe.bogus","version":1}' >>mixed.ndjson
	run --separate-stderr ml-report mixed.ndjson
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" "^ml-report: mixed\.ndjson:$(nlines mixed.ndjson): unknown format 'mlpipe\.bogus'"
	assert_regex "$stderr" 'mlpipe\.profile'
	assert_regex "$stderr" 'mlpipe\.drift'
	run --separate-stderr ml-report <<<'{"format":"acme.thing","version":1}'
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-report: <stdin>:1: unknown format 'acme\.thing'"
}

@test "a line that is not JSON, or records that are no artifact: not an mlpipe artifact, FILE:LINE, exit 2" {
	{
		cat "$D/profile.ndjson"
		echo 'this is not JSON'
	} >notjson.ndjson
	run --separate-stderr ml-report notjson.ndjson
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" "^ml-report: notjson\.ndjson:$(nlines notjson.ndjson): not an mlpipe artifact"
	head -3 "$D/data.ndjson" >records.ndjson
	run --separate-stderr ml-report records.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-report: records\.ndjson:1: not an mlpipe artifact"
	run --separate-stderr ml-report nosuch.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-report: .*nosuch\.ndjson"
}

@test "an artifact of a newer version is refused, naming the version, exit 2" {
	jq -c 'if .format then .version = 2 else . end' "$D/profile.ndjson" >newer.ndjson
	run --separate-stderr ml-report newer.ndjson
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" '^ml-report: newer\.ndjson'
	assert_regex "$stderr" 'version.*2|2.*version'
}

@test "with -o nothing is written on error: a previous file stays, no file is made, no temporary is left" {
	echo '{"format":"mlpipe.bogus","version":1}' >bogus.ndjson
	echo previous >out.html
	run --separate-stderr ml-report -o out.html "$D/profile.ndjson" bogus.ndjson
	assert_equal "$status" 2
	assert_equal "$(cat out.html)" previous
	run --separate-stderr ml-report -f text -o out.txt "$D/profile.ndjson" bogus.ndjson
	assert_equal "$status" 2
	assert [ ! -e out.txt ]
	assert_no_temp_files
}

@test "a registry given as its directory or as its history.ndjson gives the same registry section" {
	(cd "$D" && ml-report -o "$BATS_TEST_TMPDIR/dir.html" reg)
	(cd "$D" && ml-report -o "$BATS_TEST_TMPDIR/history.html" reg/history.ndjson)
	assert_equal "$(sections dir.html)" registry
	assert [ "$(svgs dir.html registry | wc -l)" -gt 0 ]
	# the same page but for the name of the input
	page dump dir.html registry >dir.dump
	page dump history.html registry | sed 's#reg/history\.ndjson#reg#g' >history.dump
	assert_bytes_equal dir.dump history.dump
	sed 's#reg/history\.ndjson#reg#g' history.html >history.renamed.html
	assert_bytes_equal dir.html history.renamed.html
}

# --- -f text ------------------------------------------------------------------------

@test "-f text: a heading per section in order, sparklines, drifted columns named first, bars per slice and feature, events, runs" {
	local a args=()
	for a in "${ALL[@]}"; do args+=("$D/$a"); done
	report -f text -o out.txt "${args[@]}"
	# plain UTF-8: no markup, no terminal escapes
	assert iconv -f UTF-8 -t UTF-8 out.txt -o /dev/null
	refute grep -q -E '<(svg|div|table|p|html)[ >]' out.txt
	refute grep -q $'\033' out.txt
	# a heading per section, in the page's order
	local s prev=0 n
	for s in "${SECTIONS[@]}"; do
		n=$(grep -n -i -E "^[^[:alnum:]]*([[:alpha:]]+ )?$s([^[:alnum:]]|\$)" out.txt | head -1 | cut -d: -f1)
		[ -n "$n" ] || fail "no heading for $s"
		[ "$n" -gt "$prev" ] || fail "the heading of $s comes before the one before it"
		prev=$n
	done
	# a sparkline per numeric column (a 0/1 column's has two bars); age's
	# spans its bins and is not flat
	local col line
	for col in id age income churn; do
		line=$(grep -E "^[[:space:]]*${col}[[:space:]]" out.txt | grep -E '[▁▂▃▄▅▆▇█].*[▁▂▃▄▅▆▇█]' | head -1)
		[ -n "$line" ] || fail "no sparkline for $col"
	done
	line=$(grep -E "^[[:space:]]*age[[:space:]]" out.txt | grep -o -E '[▁▂▃▄▅▆▇█]{10,}' | head -1)
	assert [ "$(grep -o . <<<"$line" | sort -u | wc -l)" -gt 1 ]
	# the drift table: drifted columns marked, first
	local rows
	rows=$(grep -n -E '(^|[[:space:]])(ks|chi2|psi|js|wasserstein|linf)([[:space:]]|$)' out.txt)
	for col in $(jq -r 'select(.kind == "column" and .drifted) | .column' "$D/drift.ndjson"); do
		line=$(grep -E "(^|[[:space:]])${col}[[:space:]]" <<<"$rows")
		assert_regex "${line,,}" '(drift|yes|✓|✗|!)'
	done
	for col in $(jq -r 'select(.kind == "column" and (.drifted | not)) | .column' "$D/drift.ndjson"); do
		line=$(grep -E "(^|[[:space:]])${col}[[:space:]]" <<<"$rows")
		assert [ -n "$line" ]
		refute_regex "${line,,}" '(drift|yes)'
	done
	assert_equal "$(grep -o -E '[[:space:]](age|income|region|vip|churn)[[:space:]]' <<<"$rows" | tr -d ' \t' | awk '!seen[$0]++' | tr '\n' ' ')" \
		"$(drift_order | tr '\n' ' ')"
	# a bar per slice, and per feature of the model
	for s in north south east west; do
		assert grep -q -E "$s.*█" out.txt
	done
	for col in age income vip; do
		assert grep -q -E "(^|[^[:alnum:]_])$col([^[:alnum:]_].*)?█" out.txt
	done
	# the registry's events, the runs per tool
	for s in promote reject rollback; do
		assert grep -q -i "$s" out.txt
	done
	for s in ml-stats ml-drift ml-train ml-eval ml-promote; do
		assert grep -q "$s" out.txt
	done
	# the last 10 of the 11 runs
	assert_equal "$(nlines "$D/runs.ndjson")" 11
	sed -n "$(grep -n -i -E '^[^[:alnum:]]*runs' out.txt | head -1 | cut -d: -f1),\$p" out.txt >runs.txt
	assert_equal "$(grep -c -E '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}' runs.txt)" 10
	refute grep -q -F "$(head -1 "$D/runs.ndjson" | jq -r .start)" runs.txt
	assert grep -q -F "$(tail -1 "$D/runs.ndjson" | jq -r .start)" runs.txt
}

# --- the run log -------------------------------------------------------------------

@test "ML_RUN_LOG: ml-report logs its inputs with their sha256 and the report as its output" {
	cp "$D/profile.ndjson" "$D/drift.ndjson" "$D/model.bundle" .
	ML_RUN_LOG=$PWD/runs.ndjson ml-report -o r.html profile.ndjson drift.ndjson model.bundle
	assert_json_lines runs.ndjson
	assert_equal "$(nlines runs.ndjson)" 1
	assert_equal "$(jq -r '[.tool, .exit] | @tsv' runs.ndjson)" "$(printf 'ml-report\t0')"
	local want
	want=$(for f in profile.ndjson drift.ndjson model.bundle; do
		jq -cn --arg p "$f" --arg s "$(sha256_id "$f")" --argjson b "$(stat -c %s "$f")" '[$p, $s, $b]'
	done | jq -cs .)
	assert_equal "$(jq -c '[.inputs[] | [.path, .sha256, .bytes]]' runs.ndjson)" "$want"
	assert_equal "$(jq -c '[.outputs[] | [.path, .sha256]]' runs.ndjson)" "[[\"r.html\",\"$(sha256_id r.html)\"]]"
}

# --- conventions --------------------------------------------------------------------

@test "--help and --version exit 0 on stdout" {
	run --separate-stderr ml-report --help
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 'Usage: ml-report [OPTION]... [FILE]...'
	assert_output --partial '--output-format'
	assert_output --partial '--title'
	assert_output --partial '--columns'
	run --separate-stderr ml-report --version
	assert_success
	assert_output "ml-report (mlpipe) $(ml-eval --version | awk '{ print $NF }')"
}

@test "an unknown option or output format: exit 2, nothing on stdout, Try 'ml-report --help'" {
	run --separate-stderr ml-report --bogus "$D/profile.ndjson"
	assert_usage_error ml-report
	assert_regex "$stderr" "Try 'ml-report --help'"
	run --separate-stderr ml-report -f pdf "$D/profile.ndjson"
	assert_usage_error ml-report
	assert_regex "$stderr" "pdf"
}

@test "writing to a full device exits 2 and says it cannot write" {
	run --separate-stderr bash -c "ml-report '$D/profile.ndjson' >/dev/full"
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-report: cannot write '<stdout>': No space left on device"
	run --separate-stderr bash -c "ml-report -f text '$D/profile.ndjson' >/dev/full"
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-report: cannot write"
	run --separate-stderr ml-report -o /dev/full "$D/profile.ndjson"
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-report: cannot write '/dev/full': No space left on device"
}

@test "-v says which artifacts were read" {
	run --separate-stderr ml-report -v -o v.html "$D/profile.ndjson" "$D/model.bundle"
	assert_success
	assert_regex "$stderr" 'profile\.ndjson'
	assert_regex "$stderr" 'model\.bundle'
}
