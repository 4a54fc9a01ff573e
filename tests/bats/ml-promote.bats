#!/usr/bin/env bats
# ml-promote: the registry (objects by content, stages, the history),
# register, promote through every kind of gate, dry runs, rollback, the
# queries, corruption, crashes (SIGKILL) and concurrent writers, bad input
# and the shared conventions.
#
# Three small linear models (ml-train -a linear on 300 generated records of
# different seeds) and their ml-eval metrics on one test set are made once
# per file in setup_file.  Gates are driven by hand-written metrics lines
# (write_metrics), whose numbers are known exactly.  The registry of each
# test is $BATS_TEST_TMPDIR/reg, named by ML_REGISTRY.  The references are
# sha256sum, jq and the files themselves: an object's name is its hash, a
# stage file is the last state the history gives its stage, and replaying
# the history's events from scratch gives the stage files again.

load helper

setup_file() {
	if [ -n "${ML_BIN:-}" ]; then
		PATH="$ML_BIN:$PATH"
		export PATH
	fi
	export ML_RUN_LOG=off
	cd "$BATS_FILE_TMPDIR" || return 1
	local i
	for i in 1 2 3; do
		gen_data "$i" 300 >"train$i.ndjson"
		ml-train -t y -a linear -o "m$i.bundle" "train$i.ndjson"
	done
	gen_data 9 200 >test.ndjson
	for i in 1 2 3; do
		ml-eval "m$i.bundle" test.ndjson >"m$i.metrics"
	done
}

setup() {
	ml_setup
	D=$BATS_FILE_TMPDIR
	REG=$BATS_TEST_TMPDIR/reg
	export ML_REGISTRY=$REG
	M1=$D/m1.bundle M2=$D/m2.bundle M3=$D/m3.bundle
	ID1=$(sha256_id "$M1") ID2=$(sha256_id "$M2") ID3=$(sha256_id "$M3")
}

# gen_data SEED N: N records {"a":...,"b":...,"y":...}, y = 2a - 3b + 1 plus
# noise that grows with SEED.
gen_data() {
	awk -v seed="$1" -v n="$2" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			a = rand() * 10; b = rand() * 5
			printf "{\"a\":%.4f,\"b\":%.4f,\"y\":%.4f}\n", a, b, 2 * a - 3 * b + 1 + seed * (rand() - 0.5)
		}
	}'
}

# metrics_line [JSON]: a hand-written ml-eval overall line (regression, r2
# 0.9, rmse 0.5, mae 0.4, no bundle) with JSON's keys put over it.
metrics_line() {
	local extra=${1:-}
	[ -n "$extra" ] || extra='{}'
	jq -cn --argjson m "$extra" '{format: "mlpipe.metrics", version: 1, slice: "overall",
		task: "regression", records: 100, r2: 0.9, rmse: 0.5, mae: 0.4, bundle: null,
		slices: {}} + $m'
}

# write_metrics FILE [JSON]: FILE holds metrics_line JSON.
write_metrics() {
	metrics_line "${2:-}" >"$1"
}

# line_id FILE: the sha256: id of FILE's first line without its newline (a
# metrics object's bytes).
line_id() {
	echo "sha256:$(printf '%s' "$(head -n 1 "$1")" | sha256sum | cut -d' ' -f1)"
}

# short ID: the id as text output cuts it, "sha256:" and 12 hex digits.
short() {
	echo "${1:0:19}"
}

# promote ARGS...: ml-promote promote ARGS.
promote() {
	ml-promote promote "$@"
}

# promoted BUNDLE STAGE METRICS [ARGS...]: promotes with no gate but ARGS;
# it must succeed.
promoted() {
	local b=$1 s=$2 m=$3
	shift 3
	run --separate-stderr ml-promote promote "$b" --to "$s" -m "$m" "$@"
	assert_success
	assert_equal "$stderr" ""
}

# history: the history's lines.
history() {
	cat "$REG/history.ndjson"
}

# stage_field STAGE JQ: JQ over the stage file of STAGE, raw.
stage_field() {
	jq -r "$2" "$REG/stages/$1"
}

# current_model STAGE: the model STAGE holds, as show says (verified).
current_model() {
	ml-promote show "$1" -f ndjson | jq -r .model
}

# snapshot: every file and directory of the registry with its type, mode,
# and the SHA-256 of each file's bytes.
snapshot() {
	(
		cd "$REG" || exit 1
		find . -printf '%y %m %p\n' | LC_ALL=C sort
		find . -type f -exec sha256sum {} + | LC_ALL=C sort
	)
}

# keep_snapshot / assert_untouched: the registry after is byte for byte the
# registry before.
keep_snapshot() {
	snapshot >"$BATS_TEST_TMPDIR/before.snapshot"
}
assert_untouched() {
	snapshot >"$BATS_TEST_TMPDIR/after.snapshot"
	if ! cmp -s "$BATS_TEST_TMPDIR/before.snapshot" "$BATS_TEST_TMPDIR/after.snapshot"; then
		diff "$BATS_TEST_TMPDIR/before.snapshot" "$BATS_TEST_TMPDIR/after.snapshot" | head -20 |
			batslib_decorate "the registry changed" | fail
		return 1
	fi
}

# assert_stderr_has TEXT: the last run's stderr holds TEXT as it is.
assert_stderr_has() {
	if [[ "$stderr" != *"$1"* ]]; then
		batslib_print_kv_single_or_multi 8 "expected" "$1" "stderr" "$stderr" |
			batslib_decorate "stderr does not hold the text" | fail
		return 1
	fi
}

# assert_trouble PATTERN: the last run exited 2, wrote nothing on stdout,
# and its stderr starts "ml-promote: " and matches PATTERN.
assert_trouble() {
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" '^ml-promote: '
	assert_regex "$stderr" "$1"
}

# assert_seq_consecutive FILE: the "seq" of FILE's lines count up by one
# from 1.
assert_seq_consecutive() {
	assert_equal "$(jq -s '[.[].seq] == [range(1; length + 1)]' "$1")" true
}

# assert_objects_hash: every object's bytes hash to its name, and it is
# read-only.
assert_objects_hash() {
	local f
	for f in "$REG"/objects/*; do
		[ -e "$f" ] || continue
		assert_equal "$(sha256sum <"$f" | cut -d' ' -f1)" "$(basename "$f")"
		assert_equal "$(stat -c %a "$f")" 444
	done
}

# assert_states_replay: for each stage, the "state" of its last event that
# has one is its stage file, and no other stage has a file.
assert_states_replay() {
	local want got
	want=$(jq -sSc 'map(.state // empty) | map({key: .stage, value: .}) | from_entries' "$REG/history.ndjson")
	got=$(cat "$REG"/stages/* 2>/dev/null | jq -sSc 'map({key: .stage, value: .}) | from_entries')
	assert_equal "$got" "$want"
	local f
	for f in "$REG"/stages/*; do
		[ -e "$f" ] || continue
		assert_equal "$(nlines "$f")" 1
		assert_equal "$(jq -r .stage "$f")" "$(basename "$f")"
	done
}

# replay: the stages as the events say, worked out from scratch: a promote
# pushes what the stage held and holds its candidate, a rollback pops; each
# event's "before" must be what the stage held then.  Prints
# {"stages":{NAME:{model,metrics,previous}},"bad":[...]}.
replay() {
	jq -sc 'reduce (.[] | select(.event == "promote" or .event == "rollback")) as $e
		({stages: {}, bad: []};
		.stages[$e.stage] as $cur
		| (if $cur == null then null else $cur.model end) as $now
		| (if $e.before != $now then .bad += ["seq \($e.seq): before \($e.before), but the stage held \($now)"] else . end)
		| if $e.event == "promote" then
			.stages[$e.stage] = {model: $e.after, metrics: $e.state.metrics,
				previous: (if $cur == null then [] else $cur.previous + [{model: $cur.model, metrics: $cur.metrics}] end)}
		elif $cur == null or ($cur.previous | length) == 0 then
			.bad += ["seq \($e.seq): a rollback with nothing to go back to"]
		else
			.stages[$e.stage] = {model: $cur.previous[-1].model, metrics: $cur.previous[-1].metrics,
				previous: $cur.previous[:-1]}
		end
		| if $e.after != .stages[$e.stage].model then .bad += ["seq \($e.seq): after is not the new model"] else . end)' \
		"$REG/history.ndjson"
}

# assert_events_replay: replaying the events gives the stage files.
assert_events_replay() {
	local r got
	r=$(replay)
	assert_equal "$(jq -c .bad <<<"$r")" '[]'
	got=$(cat "$REG"/stages/* 2>/dev/null | jq -sSc 'map({key: .stage, value: {model, metrics, previous}}) | from_entries')
	assert_equal "$got" "$(jq -Sc .stages <<<"$r")"
}

# assert_consistent: whole history lines with consecutive seq, stage files
# that the history replays to, objects that hash to their names, no
# temporary files, and verify agrees.
assert_consistent() {
	assert_json_lines "$REG/history.ndjson"
	assert_seq_consecutive "$REG/history.ndjson"
	assert_states_replay
	assert_events_replay
	assert_objects_hash
	assert_equal "$(find "$REG/objects" "$REG/stages" -name '.tmp.*' | wc -l)" 0
	run --separate-stderr ml-promote verify
	assert_success
	assert_equal "$stderr" ""
}

# flip_byte FILE OFFSET: changes one bit of the byte at OFFSET.
flip_byte() {
	local b
	chmod u+w "$1"
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# --- register ------------------------------------------------------------------

@test "register stores a bundle as a read-only object named by its SHA-256, and appends a register event" {
	run --separate-stderr ml-promote register "$M1"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.model, .registered]' <<<"$output")" "[\"$ID1\",true]"
	local path
	path=$(jq -r .path <<<"$output")
	assert [ "${path:0:1}" = / ]
	assert_equal "$(realpath "$path")" "$(realpath "$REG/objects/${ID1#sha256:}")"
	assert_bytes_equal "$M1" "$path"
	assert_equal "$(sha256_id "$path")" "$ID1"
	assert_equal "$(stat -c %a "$path")" 444
	assert_equal "$(cat "$REG/registry.json")" '{"format":"mlpipe.registry","version":1}'
	assert_equal "$(tail -c 1 "$REG/registry.json" | od -An -c | tr -d ' ')" '\n'
	# one event, with what the manifest says
	assert_equal "$(nlines "$REG/history.ndjson")" 1
	assert_json_lines "$REG/history.ndjson"
	assert_equal "$(jq -c '[.format, .version, .seq, .event, .model, .bytes, .path, has("state")]' "$REG/history.ndjson")" \
		"[\"mlpipe.registry.event\",1,1,\"register\",\"$ID1\",$(wc -c <"$M1"),\"$M1\",false]"
	assert_equal "$(jq -c .bundle "$REG/history.ndjson")" \
		"{\"algo\":\"linear\",\"task\":\"regression\",\"target\":\"y\",\"training_data\":\"$(sha256_id "$D/train1.ndjson")\"}"
	assert_equal "$(jq -r .user "$REG/history.ndjson")" "$(id -un)"
	assert_equal "$(jq -r .host "$REG/history.ndjson")" "$(hostname)"
	assert_regex "$(jq -r .time "$REG/history.ndjson")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
	assert_equal "$(ls "$REG/stages" 2>/dev/null | wc -l)" 0
}

@test "register is idempotent: the same bundle twice is one object and one register event" {
	ml-promote register "$M1" >/dev/null
	cp "$M1" again.bundle
	keep_snapshot
	run --separate-stderr ml-promote register again.bundle
	assert_success
	assert_equal "$(jq -c '[.model, .registered]' <<<"$output")" "[\"$ID1\",false]"
	assert_untouched
	assert_equal "$(ls "$REG/objects" | wc -l)" 1
	assert_equal "$(jq -c 'select(.event == "register") | .model' "$REG/history.ndjson" | wc -l)" 1
	# and promoting it appends no second register event
	promoted "$M1" production "$D/m1.metrics"
	assert_equal "$(jq -r .event "$REG/history.ndjson" | tr '\n' ' ')" "register promote "
}

@test "register takes several bundles, one line each; -f text says registered or already registered" {
	ml-promote register "$M1" >/dev/null
	run --separate-stderr ml-promote register -f text "$M2" "$M1" "$M3"
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_regex "${lines[0]}" "^registered sha256:${ID2:7:12}[0-9a-f]*$"
	assert_regex "${lines[1]}" "^sha256:${ID1:7:12}[0-9a-f]* already registered$"
	assert_regex "${lines[2]}" "^registered sha256:${ID3:7:12}[0-9a-f]*$"
	assert_equal "$(ls "$REG/objects" | sort | tr '\n' ' ')" \
		"$(printf '%s\n' "${ID1#sha256:}" "${ID2#sha256:}" "${ID3#sha256:}" | sort | tr '\n' ' ')"
	assert_equal "$(jq -r .model "$REG/history.ndjson" | tr '\n' ' ')" "$ID1 $ID2 $ID3 "
	assert_objects_hash
}

@test "register of a file that is not a bundle exits 2 naming it, stores nothing for it, and still stores the others" {
	gen_records 10 >records.ndjson
	run --separate-stderr ml-promote register records.ndjson
	assert_trouble 'records\.ndjson'
	assert_equal "$(find "$REG" -path "$REG/objects/*" -type f 2>/dev/null | wc -l)" 0
	assert_equal "$(cat "$REG/history.ndjson" 2>/dev/null | wc -l)" 0
	# a damaged bundle (one byte of a member changed) is refused the same way
	cp "$M2" damaged.bundle
	flip_byte damaged.bundle 2600
	run --separate-stderr ml-promote register "$M1" records.ndjson damaged.bundle "$M3"
	assert_equal "$status" 2
	assert_regex "$stderr" 'records\.ndjson'
	assert_regex "$stderr" 'damaged\.bundle'
	assert_equal "$(jq -r .model <<<"$output" | tr '\n' ' ')" "$ID1 $ID3 "
	assert_equal "$(ls "$REG/objects" | sort | tr '\n' ' ')" \
		"$(printf '%s\n' "${ID1#sha256:}" "${ID3#sha256:}" | sort | tr '\n' ' ')"
	assert_equal "$(jq -r '[.event, .model] | join(" ")' "$REG/history.ndjson" | tr '\n' ' ')" \
		"register $ID1 register $ID3 "
}

# --- promote: an empty stage, and what a promotion writes -----------------------

@test "promote to an empty stage with no gate: exit 0, the stage holds the candidate and the metrics it came with" {
	run --separate-stderr promote "$M1" --to production -m "$D/m1.metrics"
	assert_success
	assert_equal "$stderr" ""
	# the output is the event line as committed
	assert_equal "$output" "$(tail -n 1 "$REG/history.ndjson")"
	local mid
	mid=$(line_id "$D/m1.metrics")
	assert_equal "$(nlines "$REG/stages/production")" 1
	assert_equal "$(jq -c '[.format, .version, .stage, .model, .metrics, .seq, .previous]' "$REG/stages/production")" \
		"[\"mlpipe.stage\",1,\"production\",\"$ID1\",\"$mid\",2,[]]"
	# the bundle and the metrics line (its bytes, no newline) are objects
	assert_bytes_equal "$M1" "$REG/objects/${ID1#sha256:}"
	printf '%s' "$(head -n 1 "$D/m1.metrics")" >line
	assert_bytes_equal line "$REG/objects/${mid#sha256:}"
	assert_objects_hash
	# register (new to the registry), then promote
	assert_equal "$(jq -r .event "$REG/history.ndjson" | tr '\n' ' ')" "register promote "
	assert_equal "$(tail -n 1 "$REG/history.ndjson" | jq -c '[.stage, .model, .before, .after, .reason, .current, .gates]')" \
		"[\"production\",\"$ID1\",null,\"$ID1\",null,null,[]]"
	assert_equal "$(tail -n 1 "$REG/history.ndjson" | jq -c .candidate)" "$(head -n 1 "$D/m1.metrics" | jq -c .)"
	assert_equal "$(tail -n 1 "$REG/history.ndjson" | jq -c .bundle)" \
		"{\"path\":\"$M1\",\"algo\":\"linear\",\"task\":\"regression\",\"target\":\"y\"}"
	assert_equal "$(tail -n 1 "$REG/history.ndjson" | jq -c '[.seq, .state]')" "[2,$(jq -c . "$REG/stages/production")]"
	assert_consistent
}

@test "a second promote puts the first model on the rollback stack; before and after say what changed" {
	promoted "$M1" production "$D/m1.metrics" --reason 'first model'
	promoted "$M2" production "$D/m2.metrics" --reason 'retrained'
	assert_equal "$(stage_field production '[.model, .metrics, .previous]' | jq -c .)" \
		"[\"$ID2\",\"$(line_id "$D/m2.metrics")\",[{\"model\":\"$ID1\",\"metrics\":\"$(line_id "$D/m1.metrics")\"}]]"
	assert_equal "$(jq -c 'select(.event == "promote") | [.before, .after, .reason]' "$REG/history.ndjson")" \
		"$(printf '%s\n' "[null,\"$ID1\",\"first model\"]" "[\"$ID1\",\"$ID2\",\"retrained\"]")"
	# the current model's metrics are those it was promoted with
	assert_equal "$(tail -n 1 "$REG/history.ndjson" | jq -c .current)" "$(head -n 1 "$D/m1.metrics" | jq -c .)"
	assert_consistent
}

@test "promote of the model the stage already holds: exit 0, no event, nothing changes" {
	promoted "$M1" production "$D/m1.metrics"
	keep_snapshot
	run --separate-stderr promote "$M1" --to production -m "$D/m1.metrics" -f text
	assert_success
	assert_regex "$output" "^production already holds sha256:"
	assert_untouched
	run --separate-stderr promote "$M1" --to production -m "$D/m1.metrics" --min r2=2
	assert_success
	assert_untouched
}

@test "options may come before or after the command" {
	write_metrics m.json
	run --separate-stderr ml-promote --to production -m m.json --min r2=0.5 promote "$M1"
	assert_success
	run --separate-stderr ml-promote -m m.json promote --to staging "$M2" --max rmse=1
	assert_success
	assert_equal "$(stage_field production .model) $(stage_field staging .model)" "$ID1 $ID2"
}

# --- gates ---------------------------------------------------------------------

@test "--min passes when the candidate's metric is at least VALUE, and fails below it" {
	write_metrics m.json '{"r2":0.9}'
	run --separate-stderr promote "$M1" --to production -m m.json --min r2=0.9 --min r2=0.5
	assert_success
	assert_equal "$(tail -n 1 "$REG/history.ndjson" | jq -c '[.gates[] | [.gate, .kind, .pass]]')" \
		'[["--min r2=0.9","min",true],["--min r2=0.5","min",true]]'
	assert_regex "$(tail -n 1 "$REG/history.ndjson" | jq -r '.gates[0].detail')" '^0\.9 >= 0\.9 is true$'
	assert_equal "$(stage_field production .model)" "$ID1"
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=0.95
	assert_failure 1
	assert_regex "$stderr" "^ml-promote: production: rejected sha256:${ID2:7:12}[0-9a-f]*: gate '--min r2=0\.95' failed \(0\.9 >= 0\.95 is false\)$"
	assert_equal "$output" "$(tail -n 1 "$REG/history.ndjson")"
	assert_equal "$(stage_field production .model)" "$ID1"
	assert_equal "$(jq -c '.gates' <<<"$output")" \
		'[{"gate":"--min r2=0.95","kind":"min","pass":false,"detail":"0.9 >= 0.95 is false"}]'
}

@test "a rejection: exit 1, the stage and the objects unchanged, one reject event with after equal to before and no state" {
	promoted "$M1" production "$D/m1.metrics"
	write_metrics m.json '{"r2":0.8}'
	keep_snapshot
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=0.85 --reason 'try it'
	assert_failure 1
	# only the history grew, by one line
	snapshot >after.snapshot
	assert_equal "$(diff before.snapshot after.snapshot | grep -c '^[<>]')" 2
	assert_regex "$(diff before.snapshot after.snapshot | grep '^>')" ' \./history\.ndjson$'
	assert_equal "$(nlines "$REG/history.ndjson")" 3
	assert_equal "$(tail -n 1 "$REG/history.ndjson" | jq -c '[.event, .stage, .model, .before, .after, .reason, has("state")]')" \
		"[\"reject\",\"production\",\"$ID2\",\"$ID1\",\"$ID1\",\"try it\",false]"
	assert_equal "$(tail -n 1 "$REG/history.ndjson" | jq -c .candidate)" "$(jq -c . m.json)"
	assert [ ! -e "$REG/objects/${ID2#sha256:}" ]
	assert_equal "$(jq -c 'select(.model == "'"$ID2"'" and .event == "register")' "$REG/history.ndjson")" ""
	assert_consistent
}

@test "--max passes when the candidate's metric is at most VALUE, and fails above it" {
	write_metrics m.json '{"rmse":0.5}'
	run --separate-stderr promote "$M1" --to production -m m.json --max rmse=0.4
	assert_failure 1
	assert_regex "$stderr" "gate '--max rmse=0\.4' failed \(0\.5 <= 0\.4 is false\)"
	assert [ ! -e "$REG/stages/production" ]
	assert_equal "$(jq -c '.gates[0] | [.gate, .kind, .pass]' <<<"$output")" '["--max rmse=0.4","max",false]'
	run --separate-stderr promote "$M1" --to production -m m.json --max rmse=0.5 --max mae=1
	assert_success
	assert_equal "$(jq -c '[.gates[] | .pass]' <<<"$output")" '[true,true]'
	assert_regex "$(jq -r '.gates[0].detail' <<<"$output")" '^0\.5 <= 0\.5 is true$'
	assert_equal "$(stage_field production .model)" "$ID1"
}

@test "--no-worse with an absolute tolerance: higher-better and lower-better metrics against the current model's" {
	write_metrics cur.json '{"r2":0.9,"rmse":0.5}'
	promoted "$M1" production cur.json
	write_metrics cand.json '{"r2":0.89,"rmse":0.55}'
	# r2 0.89 >= 0.9 - 0.02; rmse 0.55 <= 0.5 + 0.1
	run --separate-stderr promote "$M2" --to production -m cand.json --no-worse r2:0.02 --no-worse rmse:0.1 -n
	assert_success
	assert_equal "$(jq -c '[.gates[] | [.gate, .kind, .pass]]' <<<"$output")" \
		'[["--no-worse r2:0.02","no-worse",true],["--no-worse rmse:0.1","no-worse",true]]'
	assert_regex "$(jq -r '.gates[0].detail' <<<"$output")" '^0\.89 >= 0\.9 - 0\.02 is true$'
	assert_regex "$(jq -r '.gates[1].detail' <<<"$output")" '^0\.55 <= 0\.5 \+ 0\.1 is true$'
	# no tolerance, and too small a one
	run --separate-stderr promote "$M2" --to production -m cand.json --no-worse r2 --no-worse rmse:0.01
	assert_failure 1
	assert_equal "$(jq -c '[.gates[] | [.gate, .pass]]' <<<"$output")" '[["--no-worse r2",false],["--no-worse rmse:0.01",false]]'
	assert_equal "${#stderr_lines[@]}" 2
	assert_regex "${stderr_lines[0]}" "gate '--no-worse r2' failed"
	assert_regex "${stderr_lines[1]}" "gate '--no-worse rmse:0\.01' failed"
	assert_equal "$(stage_field production .model)" "$ID1"
	run --separate-stderr promote "$M2" --to production -m cand.json --no-worse r2:0.02 --no-worse rmse:0.1
	assert_success
	assert_equal "$(stage_field production .model)" "$ID2"
}

@test "--no-worse with a tolerance in %: a share of the current model's value" {
	write_metrics cur.json '{"r2":0.9,"rmse":0.5}'
	promoted "$M1" production cur.json
	write_metrics cand.json '{"r2":0.89,"rmse":0.52}'
	# 1% of 0.9 is 0.009: 0.89 < 0.891; 3% of 0.5 is 0.015: 0.52 > 0.515
	run --separate-stderr promote "$M2" --to production -m cand.json --no-worse r2:1% --no-worse rmse:3%
	assert_failure 1
	assert_equal "$(jq -c '[.gates[] | [.gate, .kind, .pass]]' <<<"$output")" \
		'[["--no-worse r2:1%","no-worse",false],["--no-worse rmse:3%","no-worse",false]]'
	assert_equal "$(stage_field production .model)" "$ID1"
	# 2% of 0.9 is 0.018: 0.89 >= 0.882; 5% of 0.5 is 0.025: 0.52 <= 0.525
	run --separate-stderr promote "$M2" --to production -m cand.json --no-worse r2:2% --no-worse rmse:5%
	assert_success
	assert_equal "$(jq -c '[.gates[] | .pass]' <<<"$output")" '[true,true]'
	assert_equal "$(stage_field production .model)" "$ID2"
}

@test "--no-worse into an empty stage passes, not compared" {
	write_metrics m.json
	run --separate-stderr promote "$M1" --to production -m m.json --no-worse r2:0.01
	assert_success
	assert_equal "$(jq -c '.gates' <<<"$output")" \
		'[{"gate":"--no-worse r2:0.01","kind":"no-worse","pass":true,"detail":"no current model; not compared"}]'
	assert_equal "$(stage_field production .model)" "$ID1"
}

@test "--require-current rejects a candidate for an empty stage, and passes once the stage holds a model" {
	write_metrics m.json
	run --separate-stderr promote "$M1" --to production -m m.json --require-current --no-worse r2
	assert_failure 1
	assert_stderr_has "gate '--require-current' failed (production holds no model)"
	assert_equal "$(jq -c '.gates[0]' <<<"$output")" \
		'{"gate":"--require-current","kind":"require-current","pass":false,"detail":"production holds no model"}'
	assert_equal "$(jq -c '[.event, .before, .after, .current]' <<<"$output")" '["reject",null,null,null]'
	assert [ ! -e "$REG/stages/production" ]
	promoted "$M1" production m.json
	run --separate-stderr promote "$M2" --to production -m m.json --require-current
	assert_success
	assert_equal "$(jq -c '[.gates[0].pass, .before, .after]' <<<"$output")" "[true,\"$ID1\",\"$ID2\"]"
}

@test "jq gates see current: null on an empty stage, and the current model's metrics after" {
	write_metrics m1.json '{"r2":0.9}'
	write_metrics m2.json '{"r2":0.95}'
	run --separate-stderr promote "$M1" --to production -m m1.json -g '.current != null'
	assert_failure 1
	assert_equal "$(jq -c '.gates' <<<"$output")" '[{"gate":".current != null","kind":"jq","pass":false,"detail":"false"}]'
	assert_stderr_has "gate '.current != null' failed (false)"
	run --separate-stderr promote "$M1" --to production -m m1.json \
		-g '.current == null' --gate '.current == null or .candidate.r2 >= .current.r2 + 0.002'
	assert_success
	assert_equal "$(jq -c '[.gates[] | [.kind, .pass, .detail]]' <<<"$output")" '[["jq",true,"true"],["jq",true,"true"]]'
	run --separate-stderr promote "$M2" --to production -m m2.json \
		-g '.current.r2 == 0.9' -g '.candidate.r2 >= .current.r2 + 0.002' -g '.candidate.slices == {}'
	assert_success
	assert_equal "$(jq -c '[.gates[] | .pass]' <<<"$output")" '[true,true,true]'
	assert_equal "$(stage_field production .model)" "$ID2"
}

@test "a jq gate fails on false, null, no value and a run-time error, and says which" {
	write_metrics m.json
	run --separate-stderr promote "$M1" --to production -m m.json \
		-g '.candidate.r2 > 0.95' -g '.candidate.nothing' -g 'empty' -g '.candidate.task + 1' -g '(true, false)' -g '(1, true)'
	assert_failure 1
	assert_equal "$(jq -c '[.gates[] | [.gate, .pass]]' <<<"$output")" \
		'[[".candidate.r2 > 0.95",false],[".candidate.nothing",false],["empty",false],[".candidate.task + 1",false],["(true, false)",false],["(1, true)",true]]'
	assert_equal "$(jq -c '[.gates[0:3][] | .detail]' <<<"$output")" '["false","null","no value"]'
	assert_regex "$(jq -r '.gates[3].detail' <<<"$output")" '^jq error: '
	assert_equal "${#stderr_lines[@]}" 5
	assert [ ! -e "$REG/stages/production" ]
}

@test "every gate is evaluated, in order: --require-current, then --min, --max and --no-worse as given, then -g as given" {
	write_metrics m.json '{"r2":0.9,"rmse":0.5}'
	run --separate-stderr promote "$M1" --to production -m m.json \
		-g '.candidate.r2 > 0.95' --no-worse rmse --max rmse=0.4 -g 'true' --min r2=0.5 --require-current
	assert_failure 1
	assert_equal "$(jq -c '[.gates[] | [.kind, .gate, .pass]]' <<<"$output")" \
		'[["require-current","--require-current",false],["no-worse","--no-worse rmse",true],["max","--max rmse=0.4",false],["min","--min r2=0.5",true],["jq",".candidate.r2 > 0.95",false],["jq","true",true]]'
	# every failed gate on stderr, in the same order
	assert_equal "${#stderr_lines[@]}" 3
	assert_regex "${stderr_lines[0]}" "gate '--require-current' failed"
	assert_regex "${stderr_lines[1]}" "gate '--max rmse=0\.4' failed"
	assert_regex "${stderr_lines[2]}" "gate '\.candidate\.r2 > 0\.95' failed \(false\)"
}

@test "a metric that is null in the candidate's line fails its gate: candidate r2 is null" {
	write_metrics m.json '{"r2":null}'
	run --separate-stderr promote "$M1" --to production -m m.json --min r2=0.5
	assert_failure 1
	assert_equal "$(jq -c '.gates[0] | [.pass, .detail]' <<<"$output")" '[false,"candidate r2 is null"]'
	# a null on the current side fails --no-worse too
	promoted "$M1" production m.json
	write_metrics good.json '{"r2":0.9}'
	run --separate-stderr promote "$M2" --to production -m good.json --no-worse r2:0.1
	assert_failure 1
	assert_equal "$(jq -c '.gates[0].pass' <<<"$output")" false
}

@test "--current-metrics replaces the metrics the current model was promoted with" {
	write_metrics stored.json '{"r2":0.9}'
	promoted "$M1" production stored.json
	write_metrics cand.json '{"r2":0.85}'
	write_metrics today.json '{"r2":0.8}'
	run --separate-stderr promote "$M2" --to production -m cand.json --no-worse r2
	assert_failure 1
	run --separate-stderr promote "$M2" --to production -m cand.json --current-metrics today.json \
		--no-worse r2 -g '.current.r2 == 0.8'
	assert_success
	assert_equal "$(jq -c '[.gates[] | .pass]' <<<"$output")" '[true,true]'
	assert_equal "$(jq -c .current <<<"$output")" "$(jq -c . today.json)"
	assert_equal "$(stage_field production .model)" "$ID2"
}

@test "--current-metrics of another model than the current one is refused (exit 2), and the registry untouched" {
	promoted "$M1" production "$D/m1.metrics"
	keep_snapshot
	run --separate-stderr promote "$M3" --to production -m "$D/m3.metrics" --current-metrics "$D/m2.metrics"
	assert_trouble 'm2\.metrics'
	assert_stderr_has "$ID2"
	assert_untouched
	# its own metrics are fine
	run --separate-stderr promote "$M3" --to production -m "$D/m3.metrics" --current-metrics "$D/m1.metrics"
	assert_success
}

@test "metrics of another model are refused: exit 2 naming both, the registry untouched" {
	promoted "$M1" production "$D/m1.metrics"
	keep_snapshot
	run --separate-stderr promote "$M3" --to production -m "$D/m2.metrics"
	assert_trouble 'm2\.metrics'
	assert_stderr_has "these metrics are of model $ID2, not of "
	assert_stderr_has "($ID3)"
	assert_untouched
}

@test "--reason is kept in the history, for a promotion and a rejection" {
	write_metrics m.json
	promoted "$M1" production m.json --reason 'nightly "retrain" ü'
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=1 --reason 'too weak?'
	assert_failure 1
	assert_equal "$(jq -c '[.event, .reason]' "$REG/history.ndjson" | tr '\n' ' ')" \
		'["register",null] ["promote","nightly \"retrain\" ü"] ["reject","too weak?"] '
}

@test "-f text: the decision line and a line per gate" {
	write_metrics m.json '{"r2":0.9}'
	run --separate-stderr promote "$M1" --to production -m m.json -f text --min r2=0.8 -g '.candidate.r2 > 0.5'
	assert_success
	assert_regex "${lines[0]}" "^promoted $(short "$ID1") to production"
	assert_regex "${lines[1]}" '^  pass  --min r2=0\.8 +0\.9 >= 0\.8 is true$'
	assert_regex "${lines[2]}" '^  pass  \.candidate\.r2 > 0\.5 +true$'
	assert_equal "${#lines[@]}" 3
	run --separate-stderr promote "$M2" --to production -m m.json -f text --min r2=0.8 -g '.candidate.r2 > 0.95'
	assert_failure 1
	assert_equal "${lines[0]}" "rejected $(short "$ID2") for production (stays $(short "$ID1"))"
	assert_regex "${lines[1]}" '^  pass  --min r2=0\.8 +0\.9 >= 0\.8 is true$'
	assert_regex "${lines[2]}" '^  FAIL  \.candidate\.r2 > 0\.95 +false$'
	run --separate-stderr promote "$M2" --to production -m m.json -f text --min r2=0.8 -g '.candidate.r2 > 0.5'
	assert_success
	assert_equal "${lines[0]}" "promoted $(short "$ID2") to production (was $(short "$ID1"))"
	run --separate-stderr promote "$M3" --to staging -m m.json -f text --require-current
	assert_failure 1
	assert_equal "${lines[0]}" "rejected $(short "$ID3") for staging (stays empty)"
	assert_regex "${lines[1]}" '^  FAIL  --require-current +staging holds no model$'
}

# --- dry runs --------------------------------------------------------------------

@test "--dry-run that would promote: exit 0, the same decision printed, the registry byte for byte the same" {
	promoted "$M1" production "$D/m1.metrics"
	write_metrics m.json '{"r2":0.95}'
	keep_snapshot
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=0.9 --dry-run
	assert_success
	assert_equal "$(jq -c '[.event, .stage, .model, .before, .after, .dry_run, (.gates | length)]' <<<"$output")" \
		"[\"promote\",\"production\",\"$ID2\",\"$ID1\",\"$ID2\",true,1]"
	assert_equal "$(jq -c '[has("seq"), has("state"), has("format")]' <<<"$output")" '[false,false,false]'
	assert_untouched
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=0.9 -n -f text
	assert_success
	assert_regex "${lines[0]}" "^promoted $(short "$ID2") to production"
	assert_untouched
	# the real run says the same, with the history's keys
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=0.9 -n
	jq -Sc 'del(.dry_run)' <<<"$output" >dry.json
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=0.9
	assert_success
	jq -Sc 'del(.format, .version, .seq, .time, .user, .host, .state)' <<<"$output" >real.json
	assert_bytes_equal dry.json real.json
}

@test "--dry-run that would reject: exit 1, the failed gates on stderr, the registry byte for byte the same" {
	promoted "$M1" production "$D/m1.metrics"
	write_metrics m.json '{"r2":0.5}'
	keep_snapshot
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=0.9 -n
	assert_failure 1
	assert_equal "$(jq -c '[.event, .before, .after, .dry_run, .gates[0].pass]' <<<"$output")" \
		"[\"reject\",\"$ID1\",\"$ID1\",true,false]"
	assert_stderr_has "gate '--min r2=0.9' failed"
	assert_untouched
}

@test "--dry-run on a missing registry sees it empty and creates nothing" {
	write_metrics m.json
	run --separate-stderr promote "$M1" --to production -m m.json -n -g '.current == null'
	assert_success
	assert_equal "$(jq -c '[.before, .after, .current, .dry_run]' <<<"$output")" "[null,\"$ID1\",null,true]"
	run --separate-stderr promote "$M1" --to production -m m.json -n --require-current
	assert_failure 1
	assert [ ! -e "$REG" ]
}

# --- rollback --------------------------------------------------------------------

@test "rollback walks back one version per call, with the metrics each was promoted with, then exit 2 when there is nothing before" {
	promoted "$M1" production "$D/m1.metrics"
	promoted "$M2" production "$D/m2.metrics"
	promoted "$M3" production "$D/m3.metrics"
	run --separate-stderr ml-promote rollback production --reason 'latency'
	assert_success
	assert_equal "$output" "$(tail -n 1 "$REG/history.ndjson")"
	assert_equal "$(jq -c '[.event, .stage, .before, .after, .reason]' <<<"$output")" \
		"[\"rollback\",\"production\",\"$ID3\",\"$ID2\",\"latency\"]"
	assert_equal "$(stage_field production '[.model, .metrics, (.previous | map(.model))]' | jq -c .)" \
		"[\"$ID2\",\"$(line_id "$D/m2.metrics")\",[\"$ID1\"]]"
	assert_equal "$(current_model production)" "$ID2"
	run --separate-stderr ml-promote rollback production -f text
	assert_success
	assert_equal "$output" "production: rolled back to $(short "$ID1") (was $(short "$ID2"))"
	assert_equal "$(stage_field production '[.model, .metrics, .previous]' | jq -c .)" \
		"[\"$ID1\",\"$(line_id "$D/m1.metrics")\",[]]"
	keep_snapshot
	run --separate-stderr ml-promote rollback production
	assert_trouble "registry .*: stage 'production' has no earlier version to go back to"
	assert_untouched
	assert_equal "$(current_model production)" "$ID1"
	assert_consistent
}

@test "after a rollback, gates compare with the model gone back to, and a new promotion stacks on it" {
	write_metrics a.json '{"r2":0.7}'
	write_metrics b.json '{"r2":0.9}'
	promoted "$M1" production a.json
	promoted "$M2" production b.json
	ml-promote rollback production >/dev/null
	run --separate-stderr promote "$M3" --to production -m a.json -g '.current.r2 == 0.7' --no-worse r2
	assert_success
	assert_equal "$(stage_field production '[.model, (.previous | map(.model))]' | jq -c .)" "[\"$ID3\",[\"$ID1\"]]"
	assert_consistent
}

@test "rollback of a stage that does not exist: exit 2, a message, the registry untouched" {
	promoted "$M1" production "$D/m1.metrics"
	keep_snapshot
	run --separate-stderr ml-promote rollback staging
	assert_trouble "registry .*: no stage 'staging'"
	assert_untouched
	run --separate-stderr ml-promote rollback
	assert_usage_error ml-promote
	assert_untouched
}

# --- queries ---------------------------------------------------------------------

@test "list: each stage's line as in its stage file, sorted by name; an empty or missing registry lists nothing" {
	run --separate-stderr ml-promote list
	assert_success
	assert_equal "$output" ""
	assert [ ! -e "$REG" ]
	ml-promote register "$M1" >/dev/null
	run --separate-stderr ml-promote list
	assert_success
	assert_equal "$output" ""
	promoted "$M2" staging "$D/m2.metrics"
	promoted "$M1" production "$D/m1.metrics"
	promoted "$M3" a-test "$D/m3.metrics"
	ml-promote list -f ndjson >list.ndjson
	cat "$REG/stages/a-test" "$REG/stages/production" "$REG/stages/staging" >want.ndjson
	assert_bytes_equal want.ndjson list.ndjson
}

@test "list -f text: a table of stage, model, since, rollbacks, algorithm, task and target" {
	promoted "$M1" production "$D/m1.metrics"
	promoted "$M2" staging "$D/m2.metrics"
	run --separate-stderr ml-promote list -f text
	assert_success
	assert_regex "${lines[0]}" '^STAGE +MODEL +SINCE +ROLLBACKS +ALGO +TASK +TARGET *$'
	assert_regex "${lines[1]}" "^production +$(short "$ID1") +[0-9T:.Z-]+ +0 +linear +regression +y *$"
	assert_regex "${lines[2]}" "^staging +$(short "$ID2") +[0-9T:.Z-]+ +0 +linear +regression +y *$"
	assert_equal "${#lines[@]}" 3
	promoted "$M3" production "$D/m3.metrics"
	run --separate-stderr ml-promote list -f text
	assert_regex "${lines[1]}" "^production +$(short "$ID3") +[^ ]+ +1 +linear"
}

@test "show STAGE: the model, its object, manifest, metrics and the stage's state" {
	promoted "$M1" production "$D/m1.metrics"
	run --separate-stderr ml-promote show production
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.stage, .model, .bytes]' <<<"$output")" "[\"production\",\"$ID1\",$(wc -c <"$M1")]"
	assert_equal "$(realpath "$(jq -r .path <<<"$output")")" "$(realpath "$REG/objects/${ID1#sha256:}")"
	assert_equal "$(jq -Sc .manifest <<<"$output")" "$(tar -xOf "$M1" manifest.json | jq -Sc .)"
	assert_equal "$(jq -c .metrics <<<"$output")" "$(head -n 1 "$D/m1.metrics" | jq -c .)"
	assert_equal "$(jq -c .state <<<"$output")" "$(jq -c . "$REG/stages/production")"
	# an unknown stage
	run --separate-stderr ml-promote show staging
	assert_trouble 'staging'
}

@test "show ID, full or a prefix of 8 hex digits: the model alone; the ID of a metrics object or of nothing is refused" {
	promoted "$M1" production "$D/m1.metrics"
	run --separate-stderr ml-promote show "$ID1"
	assert_success
	assert_equal "$(jq -c '[.stage, .model, .metrics, .state]' <<<"$output")" "[null,\"$ID1\",null,null]"
	assert_equal "$(jq -Sc .manifest <<<"$output")" "$(tar -xOf "$M1" manifest.json | jq -Sc .)"
	run --separate-stderr ml-promote show "${ID1:0:15}"
	assert_success
	assert_equal "$(jq -r .model <<<"$output")" "$ID1"
	run --separate-stderr ml-promote show "${ID1:0:14}"
	assert_equal "$status" 2
	run --separate-stderr ml-promote show "$(line_id "$D/m1.metrics")"
	assert_trouble .
	run --separate-stderr ml-promote show "$ID2"
	assert_trouble .
}

@test "show -f text: key: value lines" {
	promoted "$M1" production "$D/m1.metrics"
	run --separate-stderr ml-promote show production -f text
	assert_success
	assert_line --regexp '^stage: +production$'
	assert_line --regexp "^model: +$(short "$ID1")"
	assert_line --regexp "^path: +/.*/objects/${ID1#sha256:}$"
	assert_line --regexp '^algo: +linear$'
	assert_line --regexp '^task: +regression$'
	assert_line --regexp '^target: +y$'
	assert_line --regexp "^training data: +$(short "$(sha256_id "$D/train1.ndjson")")"
}

@test "history: the lines as stored, oldest first, each whole JSON with consecutive seq; history STAGE keeps that stage's" {
	write_metrics m.json
	promoted "$M1" production m.json
	promoted "$M2" staging m.json
	run --separate-stderr promote "$M3" --to production -m m.json --min r2=1
	assert_failure 1
	ml-promote rollback staging >/dev/null 2>&1 || true
	promoted "$M3" production m.json
	ml-promote history >all.ndjson
	assert_bytes_equal "$REG/history.ndjson" all.ndjson
	assert_json_lines all.ndjson
	assert_seq_consecutive all.ndjson
	assert_equal "$(jq -r .event all.ndjson | tr '\n' ' ')" "register promote register promote reject register promote "
	assert_equal "$(jq -r '[.format, .version, .user, .host] | join(" ")' all.ndjson | sort -u)" \
		"mlpipe.registry.event 1 $(id -un) $(hostname)"
	ml-promote history production >production.ndjson
	local l
	while IFS= read -r l; do
		if [ "$(jq -r .stage <<<"$l")" = production ]; then printf '%s\n' "$l"; fi
	done <all.ndjson >want.ndjson
	assert_bytes_equal want.ndjson production.ndjson
	assert_equal "$(jq -r .event production.ndjson | tr '\n' ' ')" "promote reject promote "
	assert_consistent
}

@test "history -f text: a line per event with seq, time, event, stage, before -> after, user, and the reason or the failed gates" {
	write_metrics m.json
	promoted "$M1" production m.json --reason 'first model'
	run --separate-stderr promote "$M2" --to production -m m.json --min r2=0.95
	assert_failure 1
	run --separate-stderr ml-promote history -f text
	assert_success
	assert_regex "${lines[0]}" '^SEQ +TIME +EVENT +STAGE +BEFORE -> AFTER +USER +REASON *$'
	assert_equal "${#lines[@]}" 4
	assert_regex "${lines[1]}" "^1 +[0-9T:.Z-]+ +register +- +- -> $(short "$ID1") +$(id -un) +- *$"
	assert_regex "${lines[2]}" "^2 +[0-9T:.Z-]+ +promote +production +- -> $(short "$ID1") +$(id -un) +first model *$"
	assert_regex "${lines[3]}" "^3 +[0-9T:.Z-]+ +reject +production +sha256:[0-9a-f.]+ -> sha256:[0-9a-f.]+ +$(id -un) +--min r2=0\.95 *$"
}

@test "path STAGE prints the object's absolute path, a bundle ml-predict scores with as with the bundle itself" {
	promoted "$M1" production "$D/m1.metrics"
	run --separate-stderr ml-promote path production
	assert_success
	assert_equal "${#lines[@]}" 1
	assert [ "${output:0:1}" = / ]
	assert_equal "$(realpath "$output")" "$(realpath "$REG/objects/${ID1#sha256:}")"
	ml-predict "$(ml-promote path production)" "$D/test.ndjson" >from-registry.ndjson
	ml-predict "$M1" "$D/test.ndjson" >from-bundle.ndjson
	assert_bytes_equal from-bundle.ndjson from-registry.ndjson
	assert_equal "$(nlines from-registry.ndjson)" 200
	# by ID and by prefix; -f text changes nothing
	assert_equal "$(ml-promote path "$ID1")" "$output"
	assert_equal "$(ml-promote path "${ID1:0:15}")" "$output"
	assert_equal "$(ml-promote path production -f text)" "$output"
}

@test "path of a stage that holds no model, or an unknown ID: exit 2, nothing printed" {
	ml-promote register "$M1" >/dev/null
	run --separate-stderr ml-promote path production
	assert_trouble "registry .*: stage 'production' holds no model"
	run --separate-stderr ml-promote path "$ID2"
	assert_trouble .
}

# --- where the registry is --------------------------------------------------------

@test "--registry, else ML_REGISTRY, else ML_HOME/registry, else .ml/registry choose the directory" {
	write_metrics m.json
	unset ML_REGISTRY
	mkdir work home
	(
		cd work || exit 1
		ml-promote promote "$M1" --to production -m ../m.json >/dev/null
	)
	assert [ -f work/.ml/registry/stages/production ]
	ML_HOME=home ml-promote promote "$M2" --to production -m m.json >/dev/null
	assert_equal "$(jq -r .model home/registry/stages/production)" "$ID2"
	ML_HOME=home ML_REGISTRY=env-reg ml-promote promote "$M3" --to production -m m.json >/dev/null
	assert_equal "$(jq -r .model env-reg/stages/production)" "$ID3"
	ML_HOME=home ML_REGISTRY=env-reg ml-promote -r given promote "$M1" --to staging -m m.json >/dev/null
	ML_HOME=home ML_REGISTRY=env-reg ml-promote --registry given promote "$M2" --to production -m m.json >/dev/null
	assert_equal "$(cat given/stages/staging given/stages/production | jq -r .model | tr '\n' ' ')" "$ID1 $ID2 "
	# each kept to its own
	assert_equal "$(jq -r .model home/registry/stages/production)" "$ID2"
	assert_equal "$(ls env-reg/stages)" production
	assert_equal "$(realpath "$(ML_HOME=home ml-promote path production)")" "$(realpath home/registry)/objects/${ID2#sha256:}"
	assert [ ! -e .ml ]
}

@test "a directory that is neither empty nor a registry is refused" {
	mkdir -p "$REG"
	echo hello >"$REG/notes.txt"
	run --separate-stderr promote "$M1" --to production -m "$D/m1.metrics"
	assert_trouble .
	assert_equal "$(ls "$REG")" notes.txt
}

# --- corruption -------------------------------------------------------------------

@test "a corrupted object is detected on the next read: path, show and list exit 2 naming it, verify exits 1" {
	promoted "$M1" production "$D/m1.metrics"
	local obj=$REG/objects/${ID1#sha256:} bad
	flip_byte "$obj" 1000
	bad=$(sha256_id "$obj")
	assert [ "$bad" != "$ID1" ]
	local want="registry $REG: object $ID1 is corrupt (its bytes hash to $bad)"
	run --separate-stderr ml-promote path production
	assert_trouble 'corrupt'
	assert_stderr_has "$want"
	run --separate-stderr ml-promote show production
	assert_trouble 'corrupt'
	assert_stderr_has "$want"
	run --separate-stderr ml-promote show "$ID1"
	assert_trouble 'corrupt'
	run --separate-stderr ml-promote list -f text
	assert_equal "$status" 2
	assert_regex "${lines[1]}" '^production .*CORRUPT'
	assert_stderr_has "$ID1"
	run --separate-stderr ml-promote verify
	assert_failure 1
	assert_regex "$stderr" "^ml-promote: registry "
	assert_stderr_has "$ID1"
}

@test "a corrupted metrics object is detected too: promote against it exits 2, nothing changes" {
	promoted "$M1" production "$D/m1.metrics"
	local mid
	mid=$(line_id "$D/m1.metrics")
	flip_byte "$REG/objects/${mid#sha256:}" 20
	keep_snapshot
	run --separate-stderr promote "$M2" --to production -m "$D/m2.metrics"
	assert_trouble 'corrupt'
	assert_stderr_has "object $mid is corrupt"
	assert_untouched
	run --separate-stderr ml-promote show production
	assert_trouble 'corrupt'
	run --separate-stderr ml-promote verify
	assert_failure 1
	assert_stderr_has "$mid"
}

@test "rollback to a corrupted object: exit 2, nothing changes" {
	promoted "$M1" production "$D/m1.metrics"
	promoted "$M2" production "$D/m2.metrics"
	flip_byte "$REG/objects/${ID1#sha256:}" 700
	keep_snapshot
	run --separate-stderr ml-promote rollback production
	assert_trouble "object $ID1 is corrupt"
	assert_untouched
	assert_equal "$(current_model production)" "$ID2"
}

@test "registering the good bundle again replaces a corrupted object" {
	promoted "$M1" production "$D/m1.metrics"
	flip_byte "$REG/objects/${ID1#sha256:}" 1000
	run --separate-stderr ml-promote register "$M1"
	assert_success
	assert_bytes_equal "$M1" "$REG/objects/${ID1#sha256:}"
	assert_equal "$(jq -c 'select(.event == "register")' "$REG/history.ndjson" | wc -l)" 1
	assert_consistent
}

# --- verify -----------------------------------------------------------------------

@test "verify: a consistent registry exits 0 (-v: a summary), a missing one exits 2" {
	write_metrics m.json
	promoted "$M1" production m.json
	promoted "$M2" staging m.json
	run --separate-stderr ml-promote verify
	assert_success
	assert_equal "$output$stderr" ""
	run --separate-stderr ml-promote verify -v
	assert_success
	assert_equal "$stderr" "ml-promote: registry $REG: 3 objects, 2 stages, 4 events, consistent"
	run --separate-stderr ml-promote -r nowhere verify
	assert_trouble nowhere
	assert [ ! -e nowhere ]
}

@test "verify finds a stage file the history does not give, and a missing history line" {
	promoted "$M1" production "$D/m1.metrics"
	promoted "$M2" production "$D/m2.metrics"
	cp -a "$REG" saved
	# the stage file says m1 with the seq of m2's promotion
	jq -c --arg m "$ID1" '.model = $m' "$REG/stages/production" >stage
	cat stage >"$REG/stages/production"
	run --separate-stderr ml-promote verify
	assert_failure 1
	assert_stderr_has production
	# an event cut out of the history
	rm -rf "$REG"
	cp -a saved "$REG"
	sed -i 2d "$REG/history.ndjson"
	run --separate-stderr ml-promote verify
	assert_failure 1
	assert_regex "$stderr" '^ml-promote: registry '
}

# --- trouble leaves the registry as it was -------------------------------------------

@test "a gate expression that does not compile: exit 2 naming it, before the registry is touched" {
	run --separate-stderr promote "$M1" --to production -m "$D/m1.metrics" -g '.candidate.r2 >='
	assert_trouble "^ml-promote: --gate '\.candidate\.r2 >=': "
	assert [ ! -e "$REG" ]
	promoted "$M1" production "$D/m1.metrics"
	keep_snapshot
	run --separate-stderr promote "$M2" --to production -m "$D/m2.metrics" -g 'true' --gate '.current | ]'
	assert_trouble "--gate '\.current \| \]': "
	assert_untouched
}

@test "metrics that are missing, empty, not JSON or not ml-eval's: exit 2 naming the file and line, the registry untouched" {
	promoted "$M1" production "$D/m1.metrics"
	keep_snapshot
	run --separate-stderr promote "$M2" --to production -m nosuch.metrics
	assert_trouble 'nosuch\.metrics'
	: >empty.metrics
	run --separate-stderr promote "$M2" --to production -m empty.metrics
	assert_trouble 'empty\.metrics'
	echo '{"format":"mlpipe.metrics", oops' >bad.metrics
	run --separate-stderr promote "$M2" --to production -m bad.metrics
	assert_trouble '^ml-promote: bad\.metrics:1: '
	gen_records 3 >records.metrics
	run --separate-stderr promote "$M2" --to production -m records.metrics
	assert_trouble '^ml-promote: records\.metrics:1: not an ml-eval metrics file'
	write_metrics v2.metrics '{"version":2}'
	run --separate-stderr promote "$M2" --to production -m v2.metrics
	assert_trouble '^ml-promote: v2\.metrics:1: not an ml-eval metrics file'
	# a slice line first is not the overall line
	{ metrics_line '{"slice":"region_eu"}'; metrics_line; } >slice.metrics
	run --separate-stderr promote "$M2" --to production -m slice.metrics
	assert_trouble '^ml-promote: slice\.metrics:1: not an ml-eval metrics file'
	write_metrics good.metrics
	run --separate-stderr promote "$M2" --to production -m good.metrics --current-metrics bad.metrics
	assert_trouble 'bad\.metrics:1: '
	assert_untouched
}

@test "unknown metrics, metrics the line lacks and malformed bounds: exit 2, the registry untouched" {
	promoted "$M1" production "$D/m1.metrics"
	write_metrics m.json
	keep_snapshot
	run --separate-stderr promote "$M2" --to production -m m.json --min acu=0.5
	assert_trouble 'acu'
	assert_stderr_has accuracy
	assert_stderr_has rmse
	run --separate-stderr promote "$M2" --to production -m m.json --no-worse positive_rate
	assert_trouble 'positive_rate'
	run --separate-stderr promote "$M2" --to production -m m.json --min auc=0.5
	assert_trouble "^ml-promote: m\.json: no metric 'auc' in the metrics \(have: "
	assert_stderr_has r2
	local bad
	for bad in '--min r2' '--min r2=' '--min r2=abc' '--max rmse=inf' '--max rmse=nan' \
		'--no-worse r2:-0.1' '--no-worse r2:x' '--no-worse r2:5%%' '--no-worse r2:-1%'; do
		# shellcheck disable=SC2086
		run --separate-stderr promote "$M2" --to production -m m.json $bad
		assert_equal "$status" 2 "status for $bad"
		assert_regex "$stderr" '^ml-promote: '
	done
	assert_untouched
}

@test "a candidate that is not a bundle, or an invalid stage name: exit 2, the registry untouched" {
	promoted "$M1" production "$D/m1.metrics"
	keep_snapshot
	gen_records 5 >records.ndjson
	run --separate-stderr promote records.ndjson --to production -m "$D/m1.metrics"
	assert_trouble 'records\.ndjson'
	run --separate-stderr promote nosuch.bundle --to production -m "$D/m1.metrics"
	assert_trouble 'nosuch\.bundle'
	local stage
	for stage in ../escape .hidden -dash 'a b' "$(printf 'x%.0s' {1..65})" ''; do
		run --separate-stderr promote "$M2" --to "$stage" -m "$D/m2.metrics"
		assert_equal "$status" 2 "status for --to '$stage'"
	done
	assert_untouched
	assert [ ! -e "$BATS_TEST_TMPDIR/escape" ]
}

@test "promote without --to, --metrics or a bundle is a usage error" {
	run --separate-stderr promote "$M1" -m "$D/m1.metrics"
	assert_usage_error ml-promote
	run --separate-stderr promote "$M1" --to production
	assert_usage_error ml-promote
	run --separate-stderr promote --to production -m "$D/m1.metrics"
	assert_usage_error ml-promote
	run --separate-stderr ml-promote
	assert_usage_error ml-promote
	run --separate-stderr ml-promote frobnicate
	assert_usage_error ml-promote
	assert [ ! -e "$REG" ]
}

# --- crashes and concurrent writers ------------------------------------------------

@test "16 concurrent promote and rollback calls: whole history lines that replay to the stage files, objects intact, verify holds" {
	promoted "$M1" production "$D/m1.metrics"
	promoted "$M1" staging "$D/m1.metrics"
	local i n pids=() rc reader
	# a reader asks for production's bundle all the while, and never waits
	# for a writer nor sees a half-made change
	(
		while [ ! -e writers.done ]; do
			if p=$(ml-promote path production 2>>reader.err); then
				sha256sum <"$p" | cut -d' ' -f1 >>reader.log
			else
				echo failed >>reader.log
			fi
		done
	) &
	reader=$!
	for i in $(seq 0 15); do
		n=$(((i / 4) % 3 + 1))
		case $((i % 4)) in
		0) ml-promote promote "$D/m$n.bundle" --to production -m "$D/m$n.metrics" ;;
		1) ml-promote promote "$D/m$((n % 3 + 1)).bundle" --to staging -m "$D/m$((n % 3 + 1)).metrics" ;;
		2) ml-promote rollback production ;;
		3) ml-promote rollback staging ;;
		esac >"out.$i" 2>"err.$i" &
		pids[i]=$!
	done
	local rollbacks=0
	for i in $(seq 0 15); do
		rc=0
		wait "${pids[i]}" || rc=$?
		case $((i % 4)) in
		0 | 1)
			assert_equal "$rc" 0 "promote $i: $(cat "err.$i")"
			;;
		*)
			if [ "$rc" = 0 ]; then
				rollbacks=$((rollbacks + 1))
				assert_equal "$(jq -r .event "out.$i")" rollback
			else
				assert_equal "$rc" 2 "rollback $i: $(cat "err.$i")"
				assert_regex "$(cat "err.$i")" "has no earlier version to go back to"
			fi
			;;
		esac
	done
	touch writers.done
	wait "$reader"
	assert_equal "$(cat reader.err)" ""
	assert [ "$(nlines reader.log)" -gt 0 ]
	assert_equal "$(grep -v -x -e "${ID1#sha256:}" -e "${ID2#sha256:}" -e "${ID3#sha256:}" reader.log)" ""
	assert_consistent
	assert_equal "$(jq -c 'select(.event == "rollback")' "$REG/history.ndjson" | wc -l)" "$rollbacks"
	# each event printed by a writer is in the history, once
	cat out.* | jq -r 'select(.seq) | .seq' | sort -n >printed
	assert_equal "$(sort -n printed | uniq -d)" ""
	assert_equal "$(jq -r '.seq' "$REG/history.ndjson" | grep -c -x -F -f printed)" "$(nlines printed)"
	# each model registered once
	assert_equal "$(jq -r 'select(.event == "register") | .model' "$REG/history.ndjson" | sort | uniq -d)" ""
}

@test "a promote killed with SIGKILL at random moments leaves the stage at the old or the new version and whole history lines; the next writer repairs the rest" {
	write_metrics m.json
	promoted "$M1" production m.json
	local i old new pid rc got killed=0 torn=0 behind=0 tmp=0
	for i in $(seq 1 20); do
		gen_data $((100 + i)) 40 >"d$i.ndjson"
		ml-train -t y -a linear -o "c$i.bundle" "d$i.ndjson"
		new=$(sha256_id "c$i.bundle")
		old=$(current_model production)
		ml-promote promote "c$i.bundle" --to production -m m.json >/dev/null 2>&1 &
		pid=$!
		sleep "0.00$((RANDOM % 10))$((RANDOM % 10))"
		kill -KILL "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" = 137 ] && killed=$((killed + 1))
		# readers see the old version or the new one, never nothing
		run --separate-stderr ml-promote show production
		assert_success
		got=$(jq -r .model <<<"$output")
		if [ "$rc" = 0 ]; then
			assert_equal "$got" "$new"
		else
			assert [ "$got" = "$old" -o "$got" = "$new" ]
		fi
		run --separate-stderr ml-promote path production
		assert_success
		assert_equal "$(sha256_id "$output")" "$got"
		# the stage file is always a whole line
		assert_regex "$(jq -r .model "$REG/stages/production")" '^sha256:[0-9a-f]{64}$'
		# every whole history line is JSON, and readers see only whole lines
		head -n "$(nlines "$REG/history.ndjson")" "$REG/history.ndjson" >whole.ndjson
		assert_json_lines whole.ndjson
		ml-promote history >seen.ndjson
		assert_json_lines seen.ndjson
		assert_seq_consecutive seen.ndjson
		assert_equal "$(jq -rs 'map(.state // empty) | last | .model' seen.ndjson)" "$got"
		# what the killed writer left for the next one to repair, counted to
		# show which moments were hit; verify holds all the same
		if [ -s "$REG/history.ndjson" ] && [ "$(tail -c 1 "$REG/history.ndjson" | od -An -c | tr -d ' ')" != '\n' ]; then
			torn=$((torn + 1))
		fi
		if [ "$(jq -r .seq "$REG/stages/production")" != "$(jq -rs 'map(.state // empty) | last | .seq' seen.ndjson)" ]; then
			behind=$((behind + 1))
		fi
		if [ -n "$(find "$REG/objects" "$REG/stages" -name '.tmp.*')" ]; then
			tmp=$((tmp + 1))
		fi
		run --separate-stderr ml-promote verify
		assert_success
		assert_equal "$stderr" ""
	done
	echo "# $killed of 20 promotes killed; left: $torn torn history lines, $behind stage files behind, $tmp with .tmp files" >&3
	# the next writer repairs what the killed ones left
	promoted "$M2" production m.json
	assert_equal "$(current_model production)" "$ID2"
	assert_consistent
}

@test "what a killed writer can leave (a torn last line, a stage file behind the history, .tmp files) readers see through, and the next writer repairs" {
	promoted "$M1" production "$D/m1.metrics"
	cp "$REG/stages/production" old.stage
	promoted "$M2" production "$D/m2.metrics"
	cp "$REG/history.ndjson" whole.ndjson
	# killed after the append, before the rename: the stage file is behind
	cat old.stage >"$REG/stages/production"
	cp old.stage "$REG/stages/.tmp.production.x1"
	# killed inside the next append and inside an object's write
	printf '{"format":"mlpipe.registry.event","version":1,"seq":5,"ti' >>"$REG/history.ndjson"
	head -c 100 "$M3" >"$REG/objects/.tmp.y2"
	assert_equal "$(current_model production)" "$ID2"
	assert_equal "$(realpath "$(ml-promote path production)")" "$(realpath "$REG/objects/${ID2#sha256:}")"
	ml-promote history >seen.ndjson
	assert_bytes_equal whole.ndjson seen.ndjson
	assert_equal "$(ml-promote list | jq -r .model)" "$ID2"
	run --separate-stderr ml-promote verify
	assert_success
	# the next writer
	promoted "$M3" staging "$D/m3.metrics"
	assert_equal "$(head -n 4 "$REG/history.ndjson")" "$(cat whole.ndjson)"
	assert_equal "$(jq -r .seq "$REG/history.ndjson" | tr '\n' ' ')" "1 2 3 4 5 6 "
	assert_equal "$(jq -c . "$REG/stages/production")" "$(sed -n 4p whole.ndjson | jq -c .state)"
	assert_consistent
}

# --- the run log ------------------------------------------------------------------

@test "the run log records a promote: the bundle and metrics as inputs, the object as output with the bundle's sha256" {
	cp "$M1" m1.bundle
	cp "$D/m1.metrics" m1.metrics
	ML_RUN_LOG=runs.ndjson ml-promote promote m1.bundle --to production -m m1.metrics --min r2=0.5 >/dev/null
	assert_equal "$(nlines runs.ndjson)" 1
	assert_json_lines runs.ndjson
	assert_equal "$(jq -c '[.tool, .exit]' runs.ndjson)" '["ml-promote",0]'
	assert_equal "$(jq -c .inputs runs.ndjson)" \
		"[{\"path\":\"m1.bundle\",\"bytes\":$(wc -c <m1.bundle),\"records\":null,\"sha256\":\"$ID1\"},{\"path\":\"m1.metrics\",\"bytes\":$(wc -c <m1.metrics),\"records\":null,\"sha256\":\"$(sha256_id m1.metrics)\"}]"
	assert_equal "$(jq '.outputs | length' runs.ndjson)" 1
	assert_equal "$(jq -c '.outputs[0] | [.bytes, .sha256]' runs.ndjson)" "[$(wc -c <m1.bundle),\"$ID1\"]"
	assert_equal "$(realpath "$(jq -r '.outputs[0].path' runs.ndjson)")" "$(realpath "$REG/objects/${ID1#sha256:}")"
	assert_equal "$(jq -c '.params | [.command, .stage, .gates, .dry_run, .decision, (.registry | type)]' runs.ndjson)" \
		'["promote","production",["--min r2=0.5"],false,"promoted","string"]'
	# a rejection and an unchanged stage are logged with their decision
	cp "$M2" m2.bundle
	write_metrics m2.metrics
	run --separate-stderr env ML_RUN_LOG=runs.ndjson ml-promote promote m2.bundle --to production -m m2.metrics --min r2=2
	assert_failure 1
	ML_RUN_LOG=runs.ndjson ml-promote promote m1.bundle --to production -m m1.metrics >/dev/null
	assert_equal "$(jq -c '[.exit, .params.decision, (.outputs | length)]' runs.ndjson | tail -n 2 | tr '\n' ' ')" \
		'[1,"rejected",0] [0,"unchanged",0] '
}

@test "the run log records register and rollback; the queries write no run log line" {
	cp "$M1" m1.bundle
	cp "$M2" m2.bundle
	ML_RUN_LOG=runs.ndjson ml-promote register m1.bundle m2.bundle >/dev/null
	assert_equal "$(jq -c '[.inputs[] | [.path, .sha256]]' runs.ndjson)" "[[\"m1.bundle\",\"$ID1\"],[\"m2.bundle\",\"$ID2\"]]"
	assert_equal "$(jq -c '[.outputs[] | .sha256]' runs.ndjson)" "[\"$ID1\",\"$ID2\"]"
	assert_equal "$(realpath "$(jq -r '.outputs[0].path' runs.ndjson)")" "$(realpath "$REG/objects/${ID1#sha256:}")"
	promoted m1.bundle production "$D/m1.metrics"
	promoted m2.bundle production "$D/m2.metrics"
	ML_RUN_LOG=runs.ndjson ml-promote rollback production >/dev/null
	assert_equal "$(nlines runs.ndjson)" 2
	assert_equal "$(tail -n 1 runs.ndjson | jq -c '[.tool, .exit, .params.command]')" '["ml-promote",0,"rollback"]'
	local q
	for q in list 'show production' history 'path production' verify; do
		# shellcheck disable=SC2086
		ML_RUN_LOG=runs.ndjson ml-promote $q >/dev/null
	done
	assert_equal "$(nlines runs.ndjson)" 2
}

# --- conventions ------------------------------------------------------------------

@test "--help and --version exit 0" {
	run --separate-stderr ml-promote --help
	assert_success
	assert_regex "${lines[0]}" '^Usage: ml-promote '
	assert_output --partial 'rollback STAGE'
	assert_output --partial '--require-current'
	assert_output --partial '--run-log FILE'
	assert_equal "$stderr" ""
	run --separate-stderr ml-promote --version
	assert_success
	assert_regex "$output" '^ml-promote \(mlpipe\) [0-9]'
}

@test "an unknown option exits 2 with Try 'ml-promote --help'" {
	run --separate-stderr ml-promote --bogus list
	assert_usage_error ml-promote
	assert_stderr_has "Try 'ml-promote --help'"
	run --separate-stderr ml-promote list -f yaml
	assert_usage_error ml-promote
}

@test "a reader that goes away (| head) stops history quietly with status 0" {
	# events carry the metrics lines, whose slices make them long
	write_metrics big.json "$(jq -cn '{slices: ([range(2000)] | map({key: "s\(.)", value: {records: ., r2: 0.5}}) | from_entries)}')"
	promoted "$M1" production big.json
	local i
	for i in 1 2 3; do
		promote "$M2" --to production -m big.json --min r2=1 >/dev/null 2>&1 || true
	done
	assert [ "$(wc -c <"$REG/history.ndjson")" -gt 300000 ]
	ml-promote history 2>err | head -c 100 >first
	statuses=("${PIPESTATUS[@]}")
	assert_equal "${statuses[0]}" 0
	assert_equal "$(cat err)" ""
	assert_equal "$(wc -c <first)" 100
}

@test "writing to a full device exits 2 and says it cannot write" {
	promoted "$M1" production "$D/m1.metrics"
	local cmd
	for cmd in 'list -f ndjson' 'list -f text' 'history' 'show production' 'path production'; do
		run --separate-stderr bash -c "ml-promote $cmd >/dev/full"
		assert_equal "$status" 2 "status of $cmd"
		assert_regex "$stderr" "^ml-promote: cannot write '<stdout>': No space left on device"
	done
}
