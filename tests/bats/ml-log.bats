#!/usr/bin/env bats
# ml-log: listing the runs of real pipelines byte for byte with every
# filter, the text table, bad and missing logs; walking back from a bundle,
# a metrics file or a registry object through the runs that made it, across
# pipes, to the raw CSV and the schema; the shared conventions.
#
# Each test makes its runs with the real programs and the run log on
# (runs.ndjson in the test's directory); the references are the log itself
# (grep, sed, jq) and sha256sum.  ml-log must never add to the log it reads.

load helper

setup() {
	ml_setup
}

# log_on: the programs (and ml-log) use runs.ndjson in the test's directory.
log_on() {
	LOG=$BATS_TEST_TMPDIR/runs.ndjson
	export ML_RUN_LOG=$LOG
}

# make_raw: raw.csv, 200 rows of id,a,b,y with y a number except in row 77,
# where it is NA (so ml-validate drops one record and changes the bytes);
# schema.json, a schema of the four columns.
make_raw() {
	awk 'BEGIN {
		print "id,a,b,y"
		for (i = 1; i <= 200; i++) {
			a = (i * 37) % 100; b = (i * 13) % 50
			y = (i == 77) ? "NA" : 2 * a + b + i % 3
			printf "%d,%d,%d.%d,%s\n", i, a, b, i % 10, y
		}
	}' >raw.csv
	printf '%s\n' '{"format":"mlpipe.schema","version":1,"fields":{"id":{"type":"integer"},"a":{"type":"number"},"b":{"type":"number"},"y":{"type":"number"}}}' >schema.json
}

# pipeline: with the run log on, CSV -> records -> validated -> split, a
# model trained on the train part, and its metrics on the test part through
# a pipe.  Six runs; every one succeeds.  Sets the ids of the artifacts:
# RAW, SCHEMA, TRAIN, TEST, BUNDLE, METRICS.
pipeline() {
	log_on
	make_raw
	ml-ingest raw.csv | ml-validate -s schema.json --max-invalid 1% |
		ml-split --ratio train=0.8,test=0.2 -o train=train.ndjson -o test=test.ndjson
	assert_equal "${PIPESTATUS[*]}" "0 0 0"
	ml-train -t y -a linear -o m.bundle train.ndjson
	ml-predict m.bundle test.ndjson | ml-eval --label y -o m.metrics
	assert_equal "${PIPESTATUS[*]}" "0 0"
	assert_equal "$(nlines "$LOG")" 6
	RAW=$(sha256_id raw.csv)
	SCHEMA=$(sha256_id schema.json)
	TRAIN=$(sha256_id train.ndjson)
	TEST=$(sha256_id test.ndjson)
	BUNDLE=$(sha256_id m.bundle)
	METRICS=$(sha256_id m.metrics)
}

# to_out CMD...: runs CMD with its standard output in out.ndjson.
to_out() {
	"$@" >out.ndjson
}

# log_lines PATTERN: the log's lines containing the fixed string PATTERN, in
# log order, into want.ndjson.
log_lines() {
	grep -F -e "$1" "$LOG" >want.ndjson || true
}

# run_id N: the run_id of line N of the log.
run_id() {
	sed -n "${1}p" "$LOG" | jq -r .run_id
}

# tool_run_ids TOOL: the run_ids of TOOL's runs, in log order, one a line.
tool_run_ids() {
	jq -r --arg t "$1" 'select(.tool == $t) | .run_id' "$LOG"
}

# lists ARGS...: `ml-log runs ARGS` succeeds quietly; out.ndjson is what it
# printed.
lists() {
	run --separate-stderr to_out ml-log runs "$@"
	assert_success
	assert_equal "$stderr" ""
}

# lists_exactly WANT ARGS...: `ml-log runs ARGS` prints exactly the lines of
# the file WANT.
lists_exactly() {
	local want=$1
	shift
	lists "$@"
	assert_bytes_equal "$want" out.ndjson
}

# lists_none ARGS...: `ml-log runs ARGS` matches no run: exit 1, nothing on
# stdout.
lists_none() {
	run --separate-stderr ml-log runs "$@"
	assert_equal "$status" 1 "ml-log runs $* should match nothing"
	assert_equal "$output" ""
}

# lineage ARGS...: `ml-log lineage ARGS -f ndjson` succeeds quietly with
# whole JSON lines of format mlpipe.lineage in out.ndjson.
lineage() {
	run --separate-stderr to_out ml-log lineage "$@" -f ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_json_lines out.ndjson
	if [ -s out.ndjson ]; then
		assert_equal "$(jq -c '[.format, .version]' out.ndjson | sort -u)" '["mlpipe.lineage",1]'
	fi
}

# edges: each edge of the lineage in out.ndjson as "DEPTH TOOL OUTPUT INPUT
# VIA SOURCE" (INPUT "null" for a run without hashed inputs).
edges() {
	jq -r '"\(.depth) \(.run.tool) \(.output.sha256) \(.input.sha256 // "null") \(.input.via // "-") \(.input.source)"' \
		out.ndjson
}

# assert_depth_first: the edges in out.ndjson come depth first: the first
# has depth 1, each later one is at most one deeper than the one before, and
# each edge at depth D > 1 is of a run that made the input of the nearest
# edge before it at depth D - 1.
assert_depth_first() {
	local bad
	bad=$(jq -sc '
		(if .[0].depth != 1 then ["the first edge is not at depth 1"] else [] end) +
		[range(1; length) as $i | .[$i] as $e | .[$i - 1] as $prev
		 | select($e.depth > $prev.depth + 1 or
			  ($e.depth > 1 and
			   ([.[:$i][] | select(.depth == $e.depth - 1)] | last | .input.sha256) != $e.output.sha256))
		 | "edge \($i + 1) (depth \($e.depth), \($e.run.tool)) does not hang under the edge before it"]
		| .[]' out.ndjson)
	if [ -n "$bad" ]; then
		echo "$bad" | head -5 | batslib_decorate "the lineage is not depth first" | fail
	fi
}

# run_fields TOOL: the run fields a lineage edge repeats, from TOOL's last
# line in the log, compact.
run_fields() {
	jq -c --arg t "$1" 'select(.tool == $t)
		| {run_id, tool, start, end, exit, argv, cwd, pipeline_id, params}' "$LOG" | tail -1
}

# line_with TEXT: the lines of $output that contain TEXT.
line_with() {
	grep -F -e "$1" <<<"$output" || true
}

# assert_lines_matching N ERE: N lines of $output match ERE.
assert_lines_matching() {
	local n
	n=$(grep -cE -e "$2" <<<"$output" || true)
	if [ "$n" != "$1" ]; then
		printf '%s\n' "$output" | batslib_decorate "$n lines, not $1, match '$2'" | fail
	fi
}

# hex ID: the hex digits of a sha256:HEX id.
hex() {
	echo "${1#sha256:}"
}

# column_of TEXT FILE: the column where TEXT first appears on its first line
# in FILE (0: nowhere).
column_of() {
	awk -v t="$1" 'index($0, t) { print index($0, t); found = 1; exit } END { if (!found) print 0 }' "$2"
}

# --- runs: every run, byte for byte ----------------------------------------------

@test "every run of a pipeline is listed: the log's lines byte for byte, in log order, and nothing on stderr" {
	pipeline
	lists_exactly "$LOG"
	assert_equal "$(jq -r .tool out.ndjson | sort | tr '\n' ' ')" \
		"ml-eval ml-ingest ml-predict ml-split ml-train ml-validate "
	# the same with the log named by --run-log, the environment's log off
	ML_RUN_LOG=off lists_exactly "$LOG" --run-log "$LOG"
}

@test "ml-log adds no line to the run log it reads, whatever it is asked" {
	pipeline
	cp "$LOG" before.ndjson
	ml-log runs >/dev/null
	ml-log runs -f text >/dev/null
	ml-log runs --tool train --last 1 >/dev/null
	run ml-log runs --tool nothing
	ml-log lineage m.bundle -f ndjson >/dev/null
	ml-log lineage m.metrics -f text >/dev/null
	run ml-log lineage before.ndjson
	ml-log runs -o list.ndjson
	ml-log --help >/dev/null
	assert_bytes_equal before.ndjson "$LOG"
}

@test "the log read is the one the programs write: ML_HOME/runs.ndjson, else .ml/runs.ndjson" {
	make_raw
	unset ML_RUN_LOG
	export ML_HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$ML_HOME"
	ml-ingest raw.csv -o home.ndjson
	assert_equal "$(nlines "$ML_HOME/runs.ndjson")" 1
	lists_exactly "$ML_HOME/runs.ndjson"
	unset ML_HOME
	ml-ingest raw.csv -o dot.ndjson
	ml-ingest raw.csv -o dot2.ndjson
	assert_equal "$(nlines .ml/runs.ndjson)" 2
	lists_exactly .ml/runs.ndjson
	assert_equal "$(nlines "$BATS_TEST_TMPDIR/home/runs.ndjson")" 1
}

@test "-o FILE writes the list to FILE and nothing on stdout" {
	pipeline
	run --separate-stderr ml-log runs --tool validate -o list.ndjson
	assert_success
	assert_equal "$output" ""
	log_lines '"tool":"ml-validate"'
	assert_bytes_equal want.ndjson list.ndjson
	assert_no_temp_files
}

# --- runs: filters ---------------------------------------------------------------------

@test "--tool picks one program's runs, named with or without ml-, and is repeatable" {
	pipeline
	ml-train -t y -a linear -p alpha=1 -o m2.bundle train.ndjson
	log_lines '"tool":"ml-train"'
	assert_equal "$(nlines want.ndjson)" 2
	lists_exactly want.ndjson --tool ml-train
	lists_exactly want.ndjson --tool train
	grep -E '"tool":"ml-(ingest|split)"' "$LOG" >two.ndjson
	lists_exactly two.ndjson --tool ingest --tool ml-split
	lists_exactly two.ndjson --tool ml-split --tool ml-ingest
	lists_none --tool stats
	lists_none --tool ml-log
}

@test "--status takes 0, 1, 2, ok and failed: a schema that rejects exits 1, a malformed input exits 2" {
	log_on
	make_raw
	ml-ingest raw.csv -o all.ndjson
	printf '%s\n' '{"format":"mlpipe.schema","version":1,"fields":{"y":{"type":"number","max":10}}}' >strict.json
	run ml-validate -s strict.json all.ndjson
	assert_failure 1
	printf '%s\n' '{"id":1,"a":1,"b":1,"y":1}' '{"id": oops' >bad.ndjson
	run ml-validate -s schema.json bad.ndjson
	assert_failure 2
	ml-validate -s schema.json --max-invalid 1% all.ndjson >valid.ndjson
	assert_equal "$(jq -c .exit "$LOG" | tr '\n' ' ')" "0 1 2 0 "

	sed -n '1p;4p' "$LOG" >ok.ndjson
	lists_exactly ok.ndjson --status 0
	lists_exactly ok.ndjson --status ok
	sed -n 2p "$LOG" >one.ndjson
	lists_exactly one.ndjson --status 1
	sed -n 3p "$LOG" >two.ndjson
	lists_exactly two.ndjson --status 2
	sed -n 2,3p "$LOG" >failed.ndjson
	lists_exactly failed.ndjson --status failed
	# filters of different kinds all hold
	lists_exactly two.ndjson --status failed --tool validate --last 1
	lists_none --status failed --tool ingest
}

@test "--pipeline picks the runs made with ML_PIPELINE_ID set to that id" {
	log_on
	make_raw
	ml-ingest raw.csv -o a.ndjson
	ML_PIPELINE_ID=nightly-42 ml-ingest raw.csv -o b.ndjson
	ML_PIPELINE_ID=nightly-42 ml-split --ratio train=0.5,test=0.5 -o train=t1.ndjson -o test=t2.ndjson b.ndjson
	ML_PIPELINE_ID=nightly-43 ml-ingest raw.csv -o c.ndjson
	ml-ingest raw.csv -o d.ndjson
	assert_equal "$(jq -c .pipeline_id "$LOG" | tr '\n' ' ')" 'null "nightly-42" "nightly-42" "nightly-43" null '
	sed -n 2,3p "$LOG" >want.ndjson
	lists_exactly want.ndjson --pipeline nightly-42
	sed -n 4p "$LOG" >want.ndjson
	lists_exactly want.ndjson --pipeline nightly-43
	lists_none --pipeline nightly-4
	lists_none --pipeline nightly
}

@test "--since and --until with relative times: runs just made are within the last 90m, 1h and 7d, and none started before 1h ago" {
	pipeline
	lists_exactly "$LOG" --since 1h
	lists_exactly "$LOG" --since 90m
	lists_exactly "$LOG" --since 7d
	lists_none --until 1h
	lists_none --until 7d
	log_lines '"tool":"ml-train"'
	lists_exactly want.ndjson --since 12h --tool ml-train
	lists_exactly want.ndjson --since 12h --tool ml-train --last 5 --status ok
}

@test "--since and --until with absolute dates and times: --until 2000-01-01 matches none, tomorrow's date none for --since" {
	pipeline
	local tomorrow yesterday hour_ago in_an_hour
	tomorrow=$(date -u -d '+1 day' +%F)
	yesterday=$(date -u -d '-1 day' +%F)
	hour_ago=$(date -u -d '-1 hour' +%FT%H:%M)
	in_an_hour=$(date -u -d '+1 hour' +%FT%H:%M:%S)
	lists_none --until 2000-01-01
	lists_exactly "$LOG" --since 2000-01-01
	lists_exactly "$LOG" --since "$yesterday" --until "$tomorrow"
	lists_none --since "$tomorrow"
	lists_exactly "$LOG" --since "$hour_ago"
	lists_exactly "$LOG" --since "${hour_ago}Z"
	lists_exactly "$LOG" --until "$in_an_hour"
	lists_none --since "${in_an_hour}Z"
}

@test "time filters compare each run's start as an instant: --since is at or after, --until strictly before, dates without zone are UTC" {
	pipeline
	# four runs whose starts are known to the millisecond (a real line
	# with its times and run_id changed)
	local line t i=0
	line=$(sed -n 4p "$LOG")
	: >"$LOG"
	for t in 2026-01-01T00:00:00.000Z 2026-01-01T12:29:59.999Z 2026-01-01T12:30:00.000Z 2026-01-02T00:00:00.000Z; do
		i=$((i + 1))
		jq -c --arg t "$t" --arg id "$(printf '%032x' "$((0xabc0 + i))")" \
			'.start = $t | .end = $t | .run_id = $id' <<<"$line" >>"$LOG"
	done
	sed -n 3,4p "$LOG" >late.ndjson
	sed -n 1,2p "$LOG" >early.ndjson
	sed -n 1,3p "$LOG" >first-day.ndjson
	sed -n 4p "$LOG" >second-day.ndjson
	# TZ must not matter
	export TZ=Asia/Tokyo
	lists_exactly late.ndjson --since 2026-01-01T12:30
	lists_exactly late.ndjson --since 2026-01-01T12:30:00
	lists_exactly late.ndjson --since 2026-01-01T12:30:00Z
	lists_exactly early.ndjson --until 2026-01-01T12:30
	lists_exactly early.ndjson --until 2026-01-01T12:30Z
	lists_exactly first-day.ndjson --since 2026-01-01 --until 2026-01-02
	lists_exactly second-day.ndjson --since 2026-01-02
	sed -n 3p "$LOG" >one.ndjson
	lists_exactly one.ndjson --since 2026-01-01T12:30 --until 2026-01-01T12:30:01
	lists_none --since 2026-01-01T12:30:01 --until 2026-01-02
	lists_none --until 2026-01-01
	lists_none --since 2026-01-02T00:00:01
}

@test "--run picks the run whose run_id starts with 8 or more hex digits, or is the whole id" {
	pipeline
	local id
	id=$(run_id 3)
	sed -n 3p "$LOG" >want.ndjson
	lists_exactly want.ndjson --run "${id:0:8}"
	lists_exactly want.ndjson --run "${id:0:13}"
	lists_exactly want.ndjson --run "$id"
	id=$(run_id 6)
	sed -n 6p "$LOG" >want.ndjson
	lists_exactly want.ndjson --run "${id:0:8}"
	# no run has it: exit 1
	local other=00000000
	[ "${id:0:8}" != "$other" ] || other=11111111
	grep -q "\"run_id\":\"$other" "$LOG" || lists_none --run "$other"
}

@test "--last N keeps the last N of the runs that match, in log order" {
	pipeline
	tail -n 2 "$LOG" >want.ndjson
	lists_exactly want.ndjson --last 2
	tail -n 1 "$LOG" >want.ndjson
	lists_exactly want.ndjson --last 1
	lists_exactly "$LOG" --last 6
	lists_exactly "$LOG" --last 100
	ml-train -t y -a linear -p alpha=2 -o m2.bundle train.ndjson
	ml-train -t y -a linear -p alpha=3 -o m3.bundle train.ndjson
	log_lines '"tool":"ml-train"'
	tail -n 2 want.ndjson >last2.ndjson
	lists_exactly last2.ndjson --tool train --last 2
}

@test "no run matching is exit 1 with nothing on stdout, in text too" {
	pipeline
	lists_none --tool drift
	lists_none --tool train --status failed
	run --separate-stderr ml-log runs --tool drift -f text
	assert_equal "$status" 1
	refute_output --partial ml-
}

# --- runs: the text table --------------------------------------------------------------

@test "-f text prints a header START TOOL EXIT SECONDS RUN OUTPUTS and one row per run, in log order" {
	pipeline
	run --separate-stderr ml-log runs -f text
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 7
	assert_line --index 0 --regexp '^START +TOOL +EXIT +SECONDS +RUN +OUTPUTS *$'
	local i tool id
	for i in 1 2 3 4 5 6; do
		tool=$(sed -n "${i}p" "$LOG" | jq -r .tool)
		id=$(run_id "$i")
		assert_regex "${lines[$i]}" "^$(sed -n "${i}p" "$LOG" | jq -r '.start[0:10]').* $tool +0 +[0-9.]+ +${id:0:8} "
		# the row gives 8 hex digits of the id, not more
		refute_regex "${lines[$i]}" "${id:0:9}"
	done
	# outputs comma-separated, - for stdout
	assert_regex "$(line_with ' ml-split ')" ' train\.ndjson,test\.ndjson *$'
	assert_regex "$(line_with ' ml-ingest ')" ' - *$'
	assert_regex "$(line_with ' ml-validate ')" ' - *$'
	assert_regex "$(line_with ' ml-train ')" ' m\.bundle *$'
	assert_regex "$(line_with ' ml-eval ')" ' m\.metrics *$'
}

# --- runs: bad logs and bad usage ------------------------------------------------------

@test "a malformed line is reported with FILE:LINE, the other runs are still listed, and the exit is 2" {
	pipeline
	cp "$LOG" good.ndjson
	{
		sed -n 1,2p good.ndjson
		echo 'not json at all'
		sed -n 3,4p good.ndjson
		echo '{"format":"mlpipe.stats","version":1}'
		echo '[1,2,3]'
		sed -n 5,6p good.ndjson
	} >"$LOG"
	run --separate-stderr to_out ml-log runs --run-log runs.ndjson
	assert_equal "$status" 2
	assert_bytes_equal good.ndjson out.ndjson
	assert_equal "${#stderr_lines[@]}" 3 "stderr: $stderr"
	assert_regex "${stderr_lines[0]}" '^ml-log: runs\.ndjson:3: not a run log record'
	assert_regex "${stderr_lines[1]}" '^ml-log: runs\.ndjson:6: not a run log record'
	assert_regex "${stderr_lines[2]}" '^ml-log: runs\.ndjson:7: not a run log record'
	# the filters still apply to the rest
	run --separate-stderr to_out ml-log runs --run-log runs.ndjson --tool train
	assert_equal "$status" 2
	assert_equal "$(jq -r .tool out.ndjson)" ml-train
}

@test "a torn last line (no newline) is reported as not a run log record, after the runs before it" {
	pipeline
	cp "$LOG" good.ndjson
	sed -n 3p good.ndjson | head -c 150 >>"$LOG"
	run --separate-stderr to_out ml-log runs --run-log runs.ndjson
	assert_equal "$status" 2
	assert_bytes_equal good.ndjson out.ndjson
	assert_regex "$stderr" '^ml-log: runs\.ndjson:7: not a run log record'
}

@test "a malformed line does not stop a lineage: the same edges, and exit 2" {
	pipeline
	lineage m.bundle
	mv out.ndjson clean.ndjson
	sed -i '2a this is not a run' "$LOG"
	run --separate-stderr to_out ml-log lineage m.bundle -f ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" 'runs\.ndjson:3: not a run log record'
	assert_bytes_equal clean.ndjson out.ndjson
}

@test "a missing log is trouble naming it: exit 2" {
	log_on
	run --separate-stderr ml-log runs
	assert_usage_error ml-log
	assert_equal "$stderr" "ml-log: cannot open run log '$LOG': No such file or directory"
	run --separate-stderr ml-log runs --run-log nowhere.ndjson
	assert_usage_error ml-log
	assert_equal "$stderr" "ml-log: cannot open run log 'nowhere.ndjson': No such file or directory"
	run --separate-stderr ml-log lineage sha256:0000000000000000000000000000000000000000000000000000000000000000 --run-log nowhere.ndjson
	assert_usage_error ml-log
	assert [ ! -e nowhere.ndjson ]
	assert [ ! -e "$LOG" ]
}

@test "with the run log off and no --run-log there is nothing to read: exit 2 saying how to name the log" {
	pipeline
	local msg="ml-log: the run log is off; name the log to read with --run-log FILE"
	ML_RUN_LOG=off run --separate-stderr ml-log runs
	assert_usage_error ml-log
	assert_equal "${stderr_lines[0]}" "$msg"
	run --separate-stderr ml-log runs --no-run-log
	assert_usage_error ml-log
	assert_equal "${stderr_lines[0]}" "$msg"
	ML_RUN_LOG=off run --separate-stderr ml-log lineage m.bundle
	assert_usage_error ml-log
	assert_equal "${stderr_lines[0]}" "$msg"
	# --run-log names it even then
	ML_RUN_LOG=off lists_exactly "$LOG" --run-log "$LOG"
}

@test "bad filter values are usage errors: exit 2, nothing on stdout" {
	pipeline
	local args
	for args in "--since yesterday" "--since 2026-13-45" "--until 12x" "--until" "--status 3" "--status bad" \
		"--last -1" "--last x" "--run xyz" "--run 1234567" "--depth x" "-f csv" "--tool"; do
		# shellcheck disable=SC2086
		run --separate-stderr ml-log runs $args
		assert_usage_error ml-log
	done
}

# --- lineage: from a bundle to the raw CSV ----------------------------------------------

@test "lineage of a bundle walks back through ml-train, ml-split, ml-validate and ml-ingest to the raw CSV, one depth a step" {
	pipeline
	local validated ingested
	validated=$(jq -r 'select(.tool == "ml-split") | .inputs[0].sha256' "$LOG")
	ingested=$(jq -r 'select(.tool == "ml-validate") | .inputs[0].sha256' "$LOG")
	# the validation dropped a record, so each step has bytes of its own
	assert [ "$validated" != "$ingested" ]
	lineage m.bundle
	assert_depth_first
	assert_equal "$(edges | sort)" "$(sort <<EOF
1 ml-train $BUNDLE $TRAIN input false
2 ml-split $TRAIN $validated input false
3 ml-validate $validated $ingested input false
3 ml-validate $validated $SCHEMA param schema_sha256 true
4 ml-ingest $ingested $RAW input true
EOF
)"
	assert_equal "$(jq -c 'select(.seen) | .run.tool' out.ndjson)" ""
	# each edge carries its run as the log has it
	local tool
	for tool in ml-train ml-split ml-validate ml-ingest; do
		assert_equal "$(jq -c --arg t "$tool" 'select(.run.tool == $t) | .run
			| {run_id, tool, start, end, exit, argv, cwd, pipeline_id, params}' out.ndjson | sort -u)" \
			"$(run_fields "$tool")"
	done
	# the artifact and the raw CSV as files: path, bytes, records
	assert_equal "$(jq -c 'select(.depth == 1) | .output | [.path, .bytes]' out.ndjson)" \
		"[\"m.bundle\",$(wc -c <m.bundle)]"
	assert_equal "$(jq -c 'select(.depth == 1) | .input | [.path, .bytes, .records]' out.ndjson)" \
		"[\"train.ndjson\",$(wc -c <train.ndjson),$(nlines train.ndjson)]"
	assert_equal "$(jq -c 'select(.depth == 4) | .input | [.path, .bytes, .records]' out.ndjson)" \
		"[\"raw.csv\",$(wc -c <raw.csv),200]"
}

@test "lineage of sha256:HEX, or of a unique sha256: prefix of 8 or 12 hex digits, is the lineage of the file" {
	pipeline
	lineage m.bundle
	mv out.ndjson file.ndjson
	lineage "$BUNDLE"
	assert_bytes_equal file.ndjson out.ndjson
	lineage "sha256:$(hex "$BUNDLE" | cut -c1-8)"
	assert_bytes_equal file.ndjson out.ndjson
	lineage "sha256:$(hex "$BUNDLE" | cut -c1-12)"
	assert_bytes_equal file.ndjson out.ndjson
	# the same bytes under another name are the same artifact
	cp m.bundle copy.bundle
	lineage copy.bundle
	assert_bytes_equal file.ndjson out.ndjson
}

@test "lineage of the metrics goes through ml-eval and ml-predict across the pipe to the bundle and test.ndjson" {
	pipeline
	local predicted
	predicted=$(jq -r 'select(.tool == "ml-eval") | .inputs[0].sha256' "$LOG")
	assert_equal "$(jq -r 'select(.tool == "ml-predict") | .outputs[0].path' "$LOG")" -
	lineage m.metrics
	assert_depth_first
	run edges
	assert_line "1 ml-eval $METRICS $predicted input false"
	assert_line "2 ml-predict $predicted $BUNDLE input false"
	assert_line "2 ml-predict $predicted $TEST input false"
	assert_line --regexp "^3 ml-train $BUNDLE $TRAIN "
	assert_line --regexp "^[34] ml-split ($TEST|$TRAIN) "
	assert_line --regexp "^[0-9]+ ml-ingest [^ ]+ $RAW input true$"
	assert_line --regexp "^[0-9]+ ml-validate [^ ]+ $SCHEMA param schema_sha256 true$"
	assert_equal "$(jq -c 'select(.depth == 1) | .input | [.path, .records]' out.ndjson)" \
		"[\"-\",$(nlines test.ndjson)]"
}

@test "a run reached twice is expanded once and shown again as seen" {
	pipeline
	lineage m.metrics
	# ml-split made both train.ndjson (through the bundle) and test.ndjson
	local split
	split=$(tool_run_ids ml-split)
	assert_equal "$(jq -s --arg r "$split" '[.[] | select(.run.run_id == $r and (.seen | not))] | length' out.ndjson)" 1
	assert_equal "$(jq -c --arg r "$split" 'select(.run.run_id == $r and .seen) | .output.sha256' out.ndjson | sort -u | wc -l)" 1
	assert_equal "$(jq -r --arg r "$split" 'select(.run.run_id == $r) | .output.sha256' out.ndjson | sort -u | tr '\n' ' ')" \
		"$(printf '%s\n' "$TEST" "$TRAIN" | sort | tr '\n' ' ')"
	# and what lies behind it only once
	assert_equal "$(jq -c 'select(.run.tool == "ml-ingest")' out.ndjson | wc -l)" 1
	assert_equal "$(jq -c 'select(.run.tool == "ml-validate")' out.ndjson | wc -l)" 2
	# a seen run is not expanded: the edge after it is not deeper
	assert_equal "$(jq -s '[range(0; length - 1) as $i | select(.[$i].seen and .[$i + 1].depth > .[$i].depth)] | length' out.ndjson)" 0
}

@test "--depth 1 stops after the runs that made the artifact; --depth 2 one step further" {
	pipeline
	lineage m.bundle --depth 1
	assert_equal "$(edges)" "1 ml-train $BUNDLE $TRAIN input false"
	lineage m.metrics --depth 2
	assert_equal "$(jq -r .depth out.ndjson | sort -u | tr '\n' ' ')" "1 2 "
	assert_equal "$(jq -r .run.tool out.ndjson | tr '\n' ' ')" "ml-eval ml-predict ml-predict "
}

@test "-f text draws the tree: the artifact, each run with its tool, start, exit, short run id and params, each input by short id" {
	pipeline
	run --separate-stderr to_out ml-log lineage m.bundle -f text
	assert_success
	assert_equal "$stderr" ""
	output=$(cat out.ndjson)
	assert_regex "$(head -1 out.ndjson)" "^sha256:$(hex "$BUNDLE" | cut -c1-12) +m\.bundle +$(wc -c <m.bundle) bytes"
	# short ids of 12 hex digits, not more
	refute_output --partial "$(hex "$BUNDLE" | cut -c1-13)"
	local tool id
	for tool in ml-train ml-split ml-validate ml-ingest; do
		id=$(tool_run_ids "$tool")
		assert_equal "$(line_with " $tool " | wc -l)" 1
		assert_regex "$(line_with " $tool ")" "─ $tool +[0-9T:.-]+Z +exit 0 +run ${id:0:8}( |$)"
	done
	assert_regex "$(line_with ' ml-train ')" ' algo=linear( |$)'
	assert_lines_matching 1 "─ sha256:$(hex "$TRAIN" | cut -c1-12) +train\.ndjson +$(nlines train.ndjson) records"
	assert_lines_matching 1 "─ sha256:$(hex "$RAW" | cut -c1-12) +raw\.csv .*\(source\)$"
	assert_lines_matching 1 "─ sha256:$(hex "$SCHEMA" | cut -c1-12) .*\(source\)$"
	assert_output --partial "└─"
	# deeper runs are indented further
	local train split validate ingest
	train=$(column_of ml-train out.ndjson)
	split=$(column_of ml-split out.ndjson)
	validate=$(column_of ml-validate out.ndjson)
	ingest=$(column_of ml-ingest out.ndjson)
	assert [ "$train" -gt 0 ]
	assert [ "$split" -gt "$train" ]
	assert [ "$validate" -gt "$split" ]
	assert [ "$ingest" -gt "$validate" ]
}

@test "-f text of the metrics shows a run reached twice once more as (see above)" {
	pipeline
	run --separate-stderr ml-log lineage m.metrics -f text
	assert_success
	assert_equal "$(grep -c 'ml-split' <<<"$output")" 2
	assert_equal "$(grep 'ml-split' <<<"$output" | grep -c '(see above)')" 1
	assert_equal "$(grep -c 'ml-ingest' <<<"$output")" 1
	assert_output --regexp "ml-eval .*run $(tool_run_ids ml-eval | cut -c1-8)"
	assert_output --regexp "ml-predict .*run $(tool_run_ids ml-predict | cut -c1-8)"
}

@test "an artifact no run made or read is exit 1 naming its sha256; a file that does not exist is exit 2" {
	pipeline
	echo 'nothing made me' >stray.txt
	run --separate-stderr ml-log lineage stray.txt -f ndjson
	assert_equal "$status" 1
	assert_equal "$output" ""
	assert_equal "$stderr" "ml-log: $(sha256_id stray.txt) is not in the run log"
	local zero=sha256:0000000000000000000000000000000000000000000000000000000000000000
	run --separate-stderr ml-log lineage "$zero"
	assert_equal "$status" 1
	assert_equal "$stderr" "ml-log: $zero is not in the run log"
	run --separate-stderr ml-log lineage no-such.bundle
	assert_usage_error ml-log
	assert_regex "$stderr" 'no-such\.bundle'
}

@test "lineage of a raw source is the source alone: no edges in NDJSON, one line marked (source) in text" {
	pipeline
	lineage raw.csv
	assert_equal "$(cat out.ndjson)" ""
	run --separate-stderr ml-log lineage raw.csv -f text
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_regex "${lines[0]}" "^sha256:$(hex "$RAW" | cut -c1-12) .*\(source\)"
	lineage schema.json
	assert_equal "$(cat out.ndjson)" ""
}

@test "the same step run twice with the same bytes appears once, the latest run; --all shows both, oldest first" {
	pipeline
	ml-train -t y -a linear -o m.bundle train.ndjson
	assert_equal "$(sha256_id m.bundle)" "$BUNDLE"
	local first second
	first=$(tool_run_ids ml-train | head -1)
	second=$(tool_run_ids ml-train | tail -1)
	assert [ "$first" != "$second" ]
	lineage m.bundle
	assert_equal "$(jq -r 'select(.depth == 1) | .run.run_id' out.ndjson)" "$second"
	assert_equal "$(jq -c 'select(.run.tool == "ml-train")' out.ndjson | wc -l)" 1
	lineage m.bundle --all
	assert_equal "$(jq -r 'select(.depth == 1) | .run.run_id' out.ndjson | tr '\n' ' ')" "$first $second "
	assert_depth_first
	# the second one leads to the same split, already shown
	assert_equal "$(jq -r 'select(.run.tool == "ml-split") | .seen' out.ndjson | sort | tr '\n' ' ')" "false true "
}

@test "a step that passes its input through unchanged makes no cycle: the walk ends at the raw CSV" {
	log_on
	make_raw
	sed -i '/^77,/d' raw.csv
	ml-ingest raw.csv | ml-validate -s schema.json | ml-split --ratio train=0.8,test=0.2 -o train=train.ndjson -o test=test.ndjson
	assert_equal "$(jq -r 'select(.tool == "ml-validate") | .inputs[0].sha256 == .outputs[0].sha256' "$LOG")" true
	run --separate-stderr to_out timeout 10 ml-log lineage train.ndjson -f ndjson
	assert_success
	assert_equal "$stderr" ""
	run jq -r '.run.tool' out.ndjson
	assert_line ml-split
	assert_line ml-validate
	assert_line ml-ingest
	assert_equal "$(jq -r 'select(.input.source) | .input.sha256' out.ndjson | sort -u | tr '\n' ' ')" \
		"$(printf '%s\n' "$(sha256_id raw.csv)" "$(sha256_id schema.json)" | sort | tr '\n' ' ')"
}

@test "an input a step passes through unchanged is shown under it as a leaf: a source when no run made it, else (see above)" {
	log_on
	make_raw
	sed -i '/^77,/d' raw.csv
	ML_RUN_LOG=off ml-ingest raw.csv >in.ndjson
	local X SCHEMA BUNDLE
	X=$(sha256_id in.ndjson)
	SCHEMA=$(sha256_id schema.json)
	cat in.ndjson | ml-validate -s schema.json | ml-train -t y -a linear -o pipe.bundle
	BUNDLE=$(sha256_id pipe.bundle)
	lineage pipe.bundle
	assert_equal "$(edges)" "1 ml-train $BUNDLE $X input false
2 ml-validate $X $X input true
2 ml-validate $X $SCHEMA param schema_sha256 true"
	# a run made it: the leaf is not a source, and nothing is under it
	ml-ingest raw.csv | ml-validate -s schema.json | ml-split --ratio train=0.8,test=0.2 -o train=train.ndjson -o test=test.ndjson
	lineage train.ndjson
	assert_equal "$(edges | cut -d' ' -f2- | tr '\n' '|')" \
		"ml-split $(sha256_id train.ndjson) $X input false|ml-validate $X $X input false|ml-validate $X $SCHEMA param schema_sha256 true|ml-ingest $X $(sha256_id raw.csv) input true|"
	run --separate-stderr ml-log lineage train.ndjson -f text
	assert_success
	assert_lines_matching 1 "│  ├─ sha256:$(hex "$X" | cut -c1-12) +- +199 records +\(see above\)$"
}

@test "lineage of a model promoted to production reaches the promotion, the evaluation and the training" {
	local promote
	if [ -n "${ML_BIN:-}" ]; then
		promote=$ML_BIN/ml-promote
	else
		promote=$(command -v ml-promote || true)
	fi
	[ -n "$promote" ] && [ -x "$promote" ] || skip "ml-promote is not built"
	pipeline
	export ML_REGISTRY=$BATS_TEST_TMPDIR/registry
	ml-promote promote m.bundle --to production -m m.metrics >/dev/null
	local object
	object=$(ml-promote path production)
	assert_equal "$(sha256_id "$object")" "$BUNDLE"
	lineage "$object"
	assert_depth_first
	run edges
	assert_line --regexp "^1 ml-promote $BUNDLE $METRICS input false$"
	assert_line --regexp "^1 ml-train $BUNDLE $TRAIN input false$"
	assert_line --regexp "^2 ml-eval $METRICS [^ ]+ input false$"
	assert_line --regexp "^[0-9]+ ml-predict "
	assert_line --regexp "^[0-9]+ ml-ingest [^ ]+ $RAW input true$"
	assert_equal "$(jq -r 'select(.run.tool == "ml-promote") | .run.params.stage' out.ndjson | sort -u)" production
}

@test "a later ml-promote register of the same bundle does not hide the promotion and its evaluation" {
	[ -x "${ML_BIN:+$ML_BIN/}ml-promote" ] || command -v ml-promote >/dev/null || skip "ml-promote is not built"
	pipeline
	export ML_REGISTRY=$BATS_TEST_TMPDIR/registry
	ml-promote promote m.bundle --to production -m m.metrics >/dev/null
	ml-promote register m.bundle >/dev/null
	lineage "$(ml-promote path production)"
	run edges
	# the register run read only the bundle: another step than the promotion
	assert_line --regexp "^1 ml-promote $BUNDLE $METRICS input false$"
	assert_line --regexp "^2 ml-eval $METRICS [^ ]+ input false$"
	# the bundle it read is the object it stored: a leaf on the path
	assert_equal "$(jq -r 'select(.run.argv[1] == "register") | "\(.depth) \(.input.sha256)"' out.ndjson)" "1 $BUNDLE"
}

# --- conventions -------------------------------------------------------------------------

@test "--help describes the commands and options and --version names the program" {
	run --separate-stderr ml-log --help
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --regexp '^Usage: ml-log '
	assert_output --partial runs
	assert_output --partial lineage
	local opt
	for opt in --tool --since --until --status --pipeline --run --last --depth --all --output-format --output --run-log; do
		assert_output --partial -- "$opt"
	done
	run --separate-stderr ml-log --version
	assert_success
	assert_output --regexp '^ml-log \(mlpipe\) [0-9]+\.[0-9]+'
}

@test "an unknown option, a missing or unknown command, or lineage without an artifact is a usage error with Try" {
	log_on
	: >"$LOG"
	local args
	for args in "--bogus runs" "runs --bogus" "" "walk" "lineage" "lineage a b"; do
		# shellcheck disable=SC2086
		run --separate-stderr ml-log $args
		assert_usage_error ml-log
		assert_regex "$stderr" "Try 'ml-log --help'"
	done
}

@test "writing to a full device exits 2 and says it cannot write" {
	pipeline
	run --separate-stderr bash -c 'ml-log runs >/dev/full'
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-log: cannot write '<stdout>': No space left on device"
	run --separate-stderr bash -c 'ml-log lineage m.bundle -f text >/dev/full'
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-log: cannot write '<stdout>': No space left on device"
	run --separate-stderr ml-log runs -o /dev/full
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-log: cannot write '/dev/full': No space left on device"
}

@test "a reader that goes away (| head -1) stops ml-log quietly with status 0" {
	pipeline
	# 3,000 runs, far more than a pipe holds
	awk '{ for (i = 0; i < 500; i++) { l = $0; sub(/"run_id":"[0-9a-f]+"/, sprintf("\"run_id\":\"%032x\"", NR * 1000 + i), l); print l } }' \
		"$LOG" >big.ndjson
	mv big.ndjson "$LOG"
	assert_equal "$(nlines "$LOG")" 3000
	timeout 60 ml-log runs 2>err | head -1 >first
	statuses=("${PIPESTATUS[@]}")
	assert_equal "${statuses[0]}" 0
	assert_equal "$(cat err)" ""
	assert_equal "$(cat first)" "$(head -1 "$LOG")"
	timeout 60 ml-log runs -f text 2>err | head -1 >first
	statuses=("${PIPESTATUS[@]}")
	assert_equal "${statuses[0]}" 0
	assert_equal "$(cat err)" ""
}
