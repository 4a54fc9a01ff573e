#!/usr/bin/env bats
# make demo: the continuous-training loop of examples/ct over six generated
# batches.  The demo runs once per file, into $BATS_FILE_TMPDIR/demo
# (DEMO_DIR); each test checks one event of its story where the loop
# records it, the registry's history and the run log, never in the printed
# text, which is for people.

load helper

setup_file() {
	if [ -n "${ML_BIN:-}" ]; then
		PATH="$ML_BIN:$PATH"
		export PATH
	fi
	# the demo names its own run log and registry; what a caller's
	# environment says must not matter
	export ML_RUN_LOG=off
	unset ML_HOME ML_REGISTRY ML_PIPELINE_ID
	DEMO_DIR=$BATS_FILE_TMPDIR/demo sh "$BATS_TEST_DIRNAME/../../examples/demo.sh" \
		>"$BATS_FILE_TMPDIR/demo.out" 2>&1 || {
		tail -n 30 "$BATS_FILE_TMPDIR/demo.out" >&2
		return 1
	}
}

setup() {
	ml_setup
	D=$BATS_FILE_TMPDIR/demo
	HISTORY=$D/work/registry/history.ndjson
	RUNS=$D/work/runs.ndjson
}

# history FILTER: the jq FILTER over the history's events, as one array
history() {
	jq -cs "$1" "$HISTORY"
}

# runs FILTER: the jq FILTER over the run log's records, as one array
runs() {
	jq -cs "$1" "$RUNS"
}

@test "the demo leaves a consistent registry and a run log of JSON lines" {
	run ml-promote verify -r "$D/work/registry"
	assert_success
	assert_json_lines "$RUNS"
	assert_json_lines "$HISTORY"
}

@test "the first model is promoted to an empty production stage, for the first batch" {
	run history 'map(select(.event == "promote"))[0] | [.before, (.reason | test("^first: .*\\[batch-0001\\]$"))]'
	assert_output '[null,true]'
	run history 'map(select(.event == "promote" and .before == null)) | length'
	assert_output 1
}

@test "the normal batch fires no trigger and trains nothing" {
	run runs 'map(select(.pipeline_id == "batch-0002") | .tool) | unique'
	assert_output '["ml-drift","ml-eval","ml-ingest","ml-split","ml-stats","ml-validate"]'
	run runs 'map(select(.pipeline_id == "batch-0002" and .tool == "ml-drift") | .exit)'
	assert_output '[0]'
}

@test "the broken batch fails validation and nothing is trained or evaluated on it" {
	run runs 'map(select(.pipeline_id == "batch-0003") | [.tool, .exit])'
	assert_output '[["ml-ingest",0],["ml-validate",1]]'
	# its rejects and report are kept, and it is marked so later runs pass it by
	[ -s "$D/work/batch-0003/invalid.ndjson" ]
	[ -s "$D/work/batch-0003/validation.ndjson" ]
	[ -s "$D/work/batch-0003/QUARANTINED" ]
	[ ! -e "$D/work/batch-0003/valid.ndjson" ]
}

@test "the drifted batch makes ml-drift exit 1, and the retraining it triggers is promoted" {
	run runs 'map(select(.pipeline_id == "batch-0004" and .tool == "ml-drift") | .exit)'
	assert_output '[1]'
	run history 'map(select(.event == "promote" and (.reason | test("^drift: .*\\[batch-0004\\]$")))) | length'
	assert_output 1
}

@test "a candidate is rejected by a failed gate, and kept in the registry" {
	run history 'map(select(.event == "reject" and .reason == "demand [batch-0004]"))[0]
		| [.bundle.algo, [.gates[] | select(.pass | not) | .kind]]'
	assert_output '["gbdt",["no-worse","jq"]]'
	id=$(history 'map(select(.event == "reject"))[0].model' | jq -r .)
	run ml-promote path -r "$D/work/registry" "$id"
	assert_success
}

@test "degradation of production on a batch triggers a retraining that is promoted" {
	run runs 'map(select(.pipeline_id == "batch-0005" and .tool == "ml-eval"
		and (.argv | index("--require")))) | map(.exit)'
	assert_output '[1]'
	run history 'map(select(.event == "promote" and (.reason | test("degradation: .*\\[batch-0005\\]$")))) | length'
	assert_output 1
}

@test "monitoring rolls the degraded batch's model back on the next batch" {
	run history '(map(select(.event == "promote"))[-1].after) as $new
		| map(select(.event == "rollback"))
		| map([.before == $new, (.reason | test("^monitoring: batch-0006: "))])'
	assert_output '[[true,true]]'
	run runs 'map(select(.pipeline_id == "batch-0006" and .tool == "ml-promote") | .params.command)'
	assert_output '["rollback"]'
}

@test "the scheduled retraining is recorded with its trigger" {
	run history 'map(select(.reason == "schedule [batch-0006]") | .event)'
	assert_output '["reject"]'
	run runs 'map(select(.pipeline_id | tostring | startswith("retrain-schedule-")) | .tool) | unique'
	assert_output '["ml-eval","ml-promote","ml-train"]'
}

@test "production ends on the drift model, and its lineage reaches the inbox's files" {
	want=$(history 'map(select(.event == "promote"))[1].after' | jq -r .)
	run ml-promote show production -r "$D/work/registry" -f ndjson
	assert_success
	assert_equal "$(jq -r .model <<<"$output")" "$want"
	run ml-log lineage --run-log "$RUNS" "$want" -f ndjson
	assert_success
	assert_output --partial 'inbox/batch-0004.csv.gz'
	assert_output --partial 'inbox/batch-0002.csv.gz'
}

@test "the report page of the last batch is written" {
	[ -s "$D/report.html" ]
	grep -q '</html>' "$D/report.html"
}

@test "a second make with no new batch does nothing and adds no run to the run log" {
	before=$(nlines "$RUNS")
	cp "$HISTORY" history.before
	run make -C "$D" -f "$BATS_TEST_DIRNAME/../../examples/ct/Makefile"
	assert_success
	assert_output --partial 'Nothing to be done'
	assert_equal "$(nlines "$RUNS")" "$before"
	assert_bytes_equal history.before "$HISTORY"
}
