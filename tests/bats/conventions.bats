#!/usr/bin/env bats
# What every mlpipe program does the same way: write errors, a reader that
# goes away, the run log, unreadable inputs, option errors, temporary files.
#
# Each test runs over PROGRAMS.  To add a program, list it there and teach
# filter_args, file_args and make_input how to run it.

load helper

PROGRAMS=(ml-ingest ml-split ml-stats ml-validate ml-train ml-predict)

# ml-validate checks against a schema that lets every record pass (a file
# outside the test directory, which some tests list).
ANY_SCHEMA=$BATS_TEST_DIRNAME/fixtures/validate/any.schema.json

# ml-predict scores with a bundle ml-train makes once, in setup_file, from
# records like make_input's (a file outside the test directory, which some
# tests list).
PREDICT_BUNDLE=$BATS_FILE_TMPDIR/conventions.bundle

setup_file() {
	gen_records 1000 | ML_RUN_LOG=off "${ML_BIN:+$ML_BIN/}ml-train" -t x -a linear -o "$PREDICT_BUNDLE"
}

# filter_args PROG: arguments that make PROG copy its input records to stdout
# (ml-train: read them and write the bundle there; ml-predict: with their
# predictions added).
filter_args() {
	case $1 in
	ml-split) echo "--ratio all=1 -o all=-" ;;
	ml-stats) echo "-f ndjson" ;;
	ml-ingest) echo "--format ndjson" ;;
	ml-validate) echo "-s $ANY_SCHEMA" ;;
	ml-train) echo "-t x -a linear" ;;
	ml-predict) echo "$PREDICT_BUNDLE" ;;
	*) echo "conventions.bats: no filter_args for $1" >&2; return 1 ;;
	esac
}

# file_args PROG FILE: arguments that make PROG write its output to -o FILE.
file_args() {
	case $1 in
	ml-split) echo "--ratio all=1 --tag part -o $2" ;;
	ml-stats) echo "-f ndjson -o $2" ;;
	ml-ingest) echo "--format ndjson -o $2" ;;
	ml-validate) echo "-s $ANY_SCHEMA -o $2" ;;
	ml-train) echo "-t x -a linear -o $2" ;;
	ml-predict) echo "-o $2 $PREDICT_BUNDLE" ;;
	*) echo "conventions.bats: no file_args for $1" >&2; return 1 ;;
	esac
}

# record_inputs PROG: a jq filter for the run log's record inputs of PROG
# (ml-predict's first input is its bundle).
record_inputs() {
	case $1 in
	ml-predict) echo '.inputs[1:]' ;;
	*) echo '.inputs' ;;
	esac
}

# make_input PROG N: N records of input for PROG on stdout; the last line of
# make_bad_input is malformed.
make_input() {
	case $1 in
	*) gen_records "$2" ;;
	esac
}
make_bad_input() {
	case $1 in
	*) gen_records "$2"; echo '{"id": oops}' ;;
	esac
}

setup() {
	ml_setup
}

# run_prog PROG MODE [ARGS...]: runs PROG with its filter (MODE "filter") or
# -o FILE (MODE "file:FILE") arguments, then ARGS, under bats' run.
args_for() {
	case $2 in
	filter) filter_args "$1" ;;
	file:*) file_args "$1" "${2#file:}" ;;
	esac
}

# --- write errors ------------------------------------------------------------

@test "writing standard output to a full device exits 2 and says it cannot write" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >small.ndjson
		make_input "$p" 100000 >big.ndjson
		for input in small.ndjson big.ndjson; do
			run --separate-stderr bash -c "$p $(filter_args "$p") $input >/dev/full"
			assert_equal "$status" 2
			assert_regex "$stderr" "^$p: cannot write '<stdout>': No space left on device"
		done
	done
}

@test "-o /dev/full exits 2 and says it cannot write" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >small.ndjson
		make_input "$p" 100000 >big.ndjson
		for input in small.ndjson big.ndjson; do
			# shellcheck disable=SC2046
			run --separate-stderr "$p" $(file_args "$p" /dev/full) "$input"
			assert_equal "$status" 2
			assert_equal "$output" ""
			assert_regex "$stderr" "^$p: cannot write '/dev/full': No space left on device"
		done
	done
}

@test "--help to a full device exits 2 and says it cannot write" {
	for p in "${PROGRAMS[@]}"; do
		run --separate-stderr bash -c "$p --help >/dev/full"
		assert_equal "$status" 2
		assert_regex "$stderr" "^$p: cannot write"
	done
}

@test "a reader that goes away (| head -1) stops the program quietly with status 0" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 200000 >big.ndjson
		# from a file
		# shellcheck disable=SC2046
		timeout 60 "$p" $(filter_args "$p") big.ndjson 2>err | head -1 >first
		statuses=("${PIPESTATUS[@]}")
		assert_equal "${statuses[0]}" 0
		assert_equal "$(nlines first)" 1
		assert_equal "$(cat err)" ""
		# from a pipe, with the run log on: the run still ends and is logged
		# shellcheck disable=SC2046
		cat big.ndjson | ML_RUN_LOG=runs.ndjson timeout 60 "$p" $(filter_args "$p") 2>err | head -1 >first
		statuses=("${PIPESTATUS[@]}")
		assert_equal "${statuses[1]}" 0
		assert_equal "$(cat err)" ""
		assert_equal "$(nlines runs.ndjson)" 1
		assert_equal "$(jq .exit runs.ndjson)" 0
		rm runs.ndjson
	done
}

# --- the run log -------------------------------------------------------------

@test "with ML_RUN_LOG=FILE each invocation appends one JSON line" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 100 >in.ndjson
		rm -f runs.ndjson
		for i in 1 2 3; do
			# shellcheck disable=SC2046
			ML_RUN_LOG=runs.ndjson "$p" $(filter_args "$p") in.ndjson >out.ndjson
			assert_equal "$(nlines runs.ndjson)" "$i"
		done
		assert_json_lines runs.ndjson
		assert_equal "$(jq -r .tool runs.ndjson | sort -u)" "$p"
		assert_equal "$(jq -r .run_id runs.ndjson | sort -u | wc -l)" 3
	done
}

@test "a run log line has every field, with the right values" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 100 >in.ndjson
		rm -f runs.ndjson
		local -a args
		read -ra args <<<"$(filter_args "$p")"
		ML_RUN_LOG=runs.ndjson "$p" "${args[@]}" in.ndjson >out.ndjson
		assert_json_lines runs.ndjson
		for field in run_id tool mlpipe_version argv cwd user host start end duration_s \
			exit inputs outputs params counters pipeline_id; do
			run jq -e --arg f "$field" 'has($f)' runs.ndjson
			assert_success "no field $field"
		done
		run jq -r .run_id runs.ndjson
		assert_output --regexp '^[0-9a-f]{32}$'
		assert_equal "$(jq -r .tool runs.ndjson)" "$p"
		assert_equal "$(jq -r .mlpipe_version runs.ndjson)" "$("$p" --version | awk '{ print $NF }')"
		assert_equal "$(jq -c .argv runs.ndjson)" "$(printf '%s\n' "$p" "${args[@]}" in.ndjson | jq -R . | jq -cs .)"
		assert_equal "$(jq -r .cwd runs.ndjson)" "$(pwd -P)"
		assert_equal "$(jq -r .user runs.ndjson)" "$(id -un)"
		assert_equal "$(jq -r .host runs.ndjson)" "$(hostname)"
		run jq -r '.start, .end' runs.ndjson
		assert_line --index 0 --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
		assert_line --index 1 --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
		# the run happened just now, and ended after it started
		run jq -e '(.start | sub("\\.[0-9]+Z$"; "Z") | fromdate) as $s
			| (.end | sub("\\.[0-9]+Z$"; "Z") | fromdate) as $e
			| $s <= $e and (now - $s) < 600 and (now - $s) > -600' runs.ndjson
		assert_success
		run jq -e '.start <= .end and (.duration_s | type == "number" and . >= 0 and . < 600)' runs.ndjson
		assert_success
		assert_equal "$(jq .exit runs.ndjson)" 0
		run jq -e '(.inputs | type == "array") and (.outputs | type == "array")
			and (.params | type == "object") and (.counters | type == "object")' runs.ndjson
		assert_success
		assert_equal "$(jq .pipeline_id runs.ndjson)" null
	done
}

@test "the run log gives each input and output its path, bytes, records and sha256" {
	# ml-train's output is a bundle, not records: its records are not
	# counted here (the lines of a tar are no records)
	local strip
	for p in "${PROGRAMS[@]}"; do
		strip=.
		[ "$p" = ml-train ] && strip='map(del(.records))'
		make_input "$p" 1000 >in.ndjson
		# a file in, standard output out
		rm -f runs.ndjson
		# shellcheck disable=SC2046
		ML_RUN_LOG=runs.ndjson "$p" $(filter_args "$p") in.ndjson >out.ndjson
		assert_equal "$(jq -c "$(record_inputs "$p")" runs.ndjson)" \
			"[{\"path\":\"in.ndjson\",\"bytes\":$(wc -c <in.ndjson),\"records\":1000,\"sha256\":\"$(sha256_id in.ndjson)\"}]"
		assert_equal "$(jq -c ".outputs | $strip" runs.ndjson)" \
			"$(jq -c "$strip" <<<"[{\"path\":\"-\",\"bytes\":$(wc -c <out.ndjson),\"records\":$(nlines out.ndjson),\"sha256\":\"$(sha256_id out.ndjson)\"}]")"
		# standard input in, -o FILE out
		rm -f runs.ndjson
		# shellcheck disable=SC2046
		ML_RUN_LOG=runs.ndjson "$p" $(file_args "$p" file.ndjson) <in.ndjson
		assert_equal "$(jq -c "$(record_inputs "$p")" runs.ndjson)" \
			"[{\"path\":\"-\",\"bytes\":$(wc -c <in.ndjson),\"records\":1000,\"sha256\":\"$(sha256_id in.ndjson)\"}]"
		assert_equal "$(jq -c ".outputs | $strip" runs.ndjson)" \
			"$(jq -c "$strip" <<<"[{\"path\":\"file.ndjson\",\"bytes\":$(wc -c <file.ndjson),\"records\":$(nlines file.ndjson),\"sha256\":\"$(sha256_id file.ndjson)\"}]")"
	done
	# ml-predict's first input is its bundle, named by its SHA-256
	ML_RUN_LOG=runs.ndjson ml-predict "$PREDICT_BUNDLE" in.ndjson >/dev/null
	assert_equal "$(jq -c '.inputs[0] | [.path, .bytes, .sha256]' runs.ndjson | tail -1)" \
		"[\"$PREDICT_BUNDLE\",$(wc -c <"$PREDICT_BUNDLE"),\"$(sha256_id "$PREDICT_BUNDLE")\"]"
}

@test "the run log hashes stdin as it passes, CRLF, blank lines and all" {
	for p in "${PROGRAMS[@]}"; do
		{ make_input "$p" 50; echo; make_input "$p" 50 | sed 's/$/\r/'; } >in.ndjson
		rm -f runs.ndjson
		# shellcheck disable=SC2046
		cat in.ndjson | ML_RUN_LOG=runs.ndjson "$p" $(filter_args "$p") >out.ndjson
		# (the records' input is the last: ml-predict's bundle comes first)
		assert_equal "$(jq -r '.inputs[-1].sha256' runs.ndjson)" "$(sha256_id in.ndjson)"
		assert_equal "$(jq -r '.inputs[-1].bytes' runs.ndjson)" "$(wc -c <in.ndjson)"
		assert_equal "$(jq -r '.outputs[0].sha256' runs.ndjson)" "$(sha256_id out.ndjson)"
	done
}

@test "a failed run is logged with its exit status" {
	for p in "${PROGRAMS[@]}"; do
		make_bad_input "$p" 10 >bad.ndjson
		rm -f runs.ndjson
		# shellcheck disable=SC2046
		run --separate-stderr env ML_RUN_LOG=runs.ndjson "$p" $(filter_args "$p") bad.ndjson
		assert_equal "$status" 2
		assert_equal "$(nlines runs.ndjson)" 1
		assert_equal "$(jq .exit runs.ndjson)" 2
	done
}

@test "ML_PIPELINE_ID is recorded as pipeline_id" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >in.ndjson
		rm -f runs.ndjson
		# shellcheck disable=SC2046
		ML_PIPELINE_ID='nightly-2026-11-26 "x"' ML_RUN_LOG=runs.ndjson "$p" $(filter_args "$p") in.ndjson >/dev/null
		assert_equal "$(jq -r .pipeline_id runs.ndjson)" 'nightly-2026-11-26 "x"'
	done
}

@test "--run-log FILE writes the run there, even when ML_RUN_LOG is off" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >in.ndjson
		rm -f mine.ndjson other.ndjson
		# shellcheck disable=SC2046
		ML_RUN_LOG=off "$p" --run-log mine.ndjson $(filter_args "$p") in.ndjson >/dev/null
		assert_equal "$(nlines mine.ndjson)" 1
		assert_json_lines mine.ndjson
		# shellcheck disable=SC2046
		ML_RUN_LOG=other.ndjson "$p" --run-log mine.ndjson $(filter_args "$p") in.ndjson >/dev/null
		assert_equal "$(nlines mine.ndjson)" 2
		assert [ ! -e other.ndjson ]
	done
}

@test "--no-run-log and ML_RUN_LOG=off write no log anywhere" {
	mkdir home
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >in.ndjson
		# shellcheck disable=SC2046
		ML_RUN_LOG=runs.ndjson "$p" --no-run-log $(filter_args "$p") in.ndjson >/dev/null
		assert [ ! -e runs.ndjson ]
		# shellcheck disable=SC2046
		ML_RUN_LOG=off ML_HOME=home "$p" $(filter_args "$p") in.ndjson >/dev/null
		# shellcheck disable=SC2046
		(
			unset ML_RUN_LOG
			ML_HOME=home "$p" --no-run-log $(filter_args "$p") in.ndjson >/dev/null
			"$p" --no-run-log $(filter_args "$p") in.ndjson >/dev/null
		)
		assert_equal "$(ls -A)" "$(printf 'home\nin.ndjson')"
		assert_equal "$(ls -A home)" ""
	done
}

@test "without ML_RUN_LOG the log is .ml/runs.ndjson in the current directory, made on first use" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >in.ndjson
		rm -rf work
		mkdir work
		(
			cd work
			unset ML_RUN_LOG ML_HOME
			# shellcheck disable=SC2046
			"$p" $(filter_args "$p") ../in.ndjson >/dev/null
			# shellcheck disable=SC2046
			"$p" $(filter_args "$p") ../in.ndjson >/dev/null
		)
		assert [ -d work/.ml ]
		assert_equal "$(nlines work/.ml/runs.ndjson)" 2
		assert_json_lines work/.ml/runs.ndjson
		assert_equal "$(jq -r .cwd work/.ml/runs.ndjson | sort -u)" "$(cd work && pwd -P)"
	done
}

@test "ML_HOME=DIR puts the log at DIR/runs.ndjson" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >in.ndjson
		rm -rf home
		(
			unset ML_RUN_LOG
			# shellcheck disable=SC2046
			ML_HOME=home "$p" $(filter_args "$p") in.ndjson >/dev/null
			# shellcheck disable=SC2046
			ML_HOME="$PWD/home" "$p" $(filter_args "$p") in.ndjson >/dev/null
		)
		assert_equal "$(nlines home/runs.ndjson)" 2
		assert_json_lines home/runs.ndjson
		assert [ ! -e .ml ]
	done
}

@test "an unwritable run log stops the program with status 2 before it writes any output" {
	echo 'a file, not a directory' >plain
	mkdir locked
	chmod 555 locked
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >in.ndjson
		echo previous >out.ndjson
		cp out.ndjson out.before
		for how in "--run-log plain/runs.ndjson" "env ML_RUN_LOG=plain/runs.ndjson" \
			"env -u ML_RUN_LOG ML_HOME=plain/home" "env ML_RUN_LOG=locked/runs.ndjson" \
			"env -u ML_RUN_LOG ML_HOME=locked/home" "env ML_RUN_LOG=$PWD"; do
			local -a pre=() opt=()
			case $how in
			env*) read -ra pre <<<"$how" ;;
			*) read -ra opt <<<"$how" ;;
			esac
			# only the locked directory needs file permissions to hold
			case $how in
			*locked*) pre=(as_unprivileged "${pre[@]}") ;;
			esac
			# to standard output
			# shellcheck disable=SC2046
			run --separate-stderr "${pre[@]}" "$p" "${opt[@]}" $(filter_args "$p") in.ndjson
			assert_equal "$status" 2 "status with $how"
			assert_equal "$output" ""
			assert_regex "$stderr" "^$p: cannot (open|create) run log"
			# to a file
			# shellcheck disable=SC2046
			run --separate-stderr "${pre[@]}" "$p" "${opt[@]}" $(file_args "$p" out.ndjson) in.ndjson
			assert_equal "$status" 2 "status with $how"
			assert_bytes_equal out.before out.ndjson
			assert_no_temp_files
		done
		assert_equal "$(ls -A locked)" ""
	done
}

@test "8 stages of one pipe log 8 whole lines that link up by hash" {
	# long lines make interleaving likely if appends were not atomic
	local id
	id=$(head -c 60000 /dev/zero | tr '\0' 'p')
	export ML_PIPELINE_ID=$id ML_RUN_LOG=$PWD/runs.ndjson
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 200000 >in.ndjson
		rm -f runs.ndjson
		# shellcheck disable=SC2046
		ml-split --ratio p=1 --tag s1 <in.ndjson | ml-split --ratio p=1 --tag s2 |
			ml-split --ratio p=1 --tag s3 | ml-split --ratio p=1 --tag s4 |
			ml-split --ratio p=1 --tag s5 | ml-split --ratio p=1 --tag s6 |
			ml-split --ratio p=1 --tag s7 | "$p" $(filter_args "$p") >out.ndjson
		assert_equal "$(nlines runs.ndjson)" 8
		assert_json_lines runs.ndjson
		assert_equal "$(jq -r .pipeline_id runs.ndjson | sort -u | wc -l)" 1
		assert_equal "$(jq -r .pipeline_id runs.ndjson | head -1)" "$id"
		assert_equal "$(jq -r .run_id runs.ndjson | sort -u | wc -l)" 8
		# each stage's output is the next one's input, by hash
		jq -r '[(.argv | index("--tag")) as $i | if $i then .argv[$i + 1] else "s8" end,
			.inputs[-1].sha256, .outputs[0].sha256] | @tsv' runs.ndjson | sort >stages
		assert_equal "$(cut -f1 stages | tr '\n' ' ')" "s1 s2 s3 s4 s5 s6 s7 s8 "
		assert_equal "$(head -1 stages | cut -f2)" "$(sha256_id in.ndjson)"
		assert_equal "$(tail -1 stages | cut -f3)" "$(sha256_id out.ndjson)"
		run diff <(head -7 stages | cut -f3) <(tail -7 stages | cut -f2)
		assert_success
	done
}

@test "50 runs at once log 50 whole lines" {
	export ML_RUN_LOG=$PWD/runs.ndjson ML_PIPELINE_ID
	ML_PIPELINE_ID=$(head -c 60000 /dev/zero | tr '\0' 'q')
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 500 >data.ndjson
		rm -f runs.ndjson in.* out.*
		local -a args
		read -ra args <<<"$(filter_args "$p")"
		# each reads its own fifo; all the fifos end at once, so that the
		# runs end, and log, together
		local pids=()
		for i in $(seq 50); do
			mkfifo in.$i
			"$p" "${args[@]}" in.$i >out.$i 3>&- &
			pids+=($!)
		done
		/usr/bin/python3 - data.ndjson in.{1..50} <<'EOF'
import os, sys
data = open(sys.argv[1], "rb").read()
fds = [os.open(f, os.O_WRONLY) for f in sys.argv[2:]]
for fd in fds:
    os.write(fd, data)
for fd in fds:
    os.close(fd)
EOF
		for pid in "${pids[@]}"; do
			wait "$pid"
		done
		assert_equal "$(nlines runs.ndjson)" 50
		assert_json_lines runs.ndjson
		assert_equal "$(jq -r .run_id runs.ndjson | sort -u | wc -l)" 50
		assert_equal "$(jq -r '.outputs[0].sha256' runs.ndjson | sort -u)" "$(sha256_id out.1)"
	done
}

# --- inputs ------------------------------------------------------------------

@test "an unreadable input file exits 2 with a message naming it" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >in.ndjson
		rm -f secret.ndjson
		cp in.ndjson secret.ndjson
		chmod 000 secret.ndjson
		# shellcheck disable=SC2046
		run --separate-stderr as_unprivileged "$p" $(filter_args "$p") in.ndjson secret.ndjson
		assert_equal "$status" 2
		assert_equal "$stderr" "$p: cannot open 'secret.ndjson': Permission denied"
		# shellcheck disable=SC2046
		run --separate-stderr "$p" $(filter_args "$p") no-such.ndjson
		assert_equal "$status" 2
		assert_equal "$stderr" "$p: cannot open 'no-such.ndjson': No such file or directory"
	done
}

@test "a directory as input is an error naming it" {
	mkdir dir
	for p in "${PROGRAMS[@]}"; do
		# shellcheck disable=SC2046
		run --separate-stderr "$p" $(filter_args "$p") dir
		assert_equal "$status" 2
		assert_equal "$output" ""
		assert_regex "$stderr" "^$p: .*'dir'.*Is a directory"
		# shellcheck disable=SC2046
		run --separate-stderr bash -c "$p $(filter_args "$p") <dir"
		assert_equal "$status" 2
		assert_regex "$stderr" "^$p: .*Is a directory"
	done
}

@test "a directory as the -o file is an error and is left alone" {
	mkdir outdir
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 10 >in.ndjson
		# shellcheck disable=SC2046
		run --separate-stderr "$p" $(file_args "$p" outdir) in.ndjson
		assert_equal "$status" 2
		assert_regex "$stderr" "^$p: .*'outdir'"
		assert [ -d outdir ]
		assert_no_temp_files
	done
}

# --- two outputs ---------------------------------------------------------------

# second_output PROG FILE: arguments that make PROG write a second output to
# FILE beside its records (none for a program with one output).
second_output() {
	case $1 in
	ml-ingest | ml-predict) echo "--reject $2" ;;
	ml-validate) echo "--report $2" ;;
	ml-train) echo "--cv 2 --report $2" ;;
	esac
}

@test "two outputs that name one file, by any path or link, are refused before anything is written" {
	echo old >same.ndjson
	ln -s same.ndjson link.ndjson
	ln same.ndjson hard.ndjson
	for p in "${PROGRAMS[@]}"; do
		[ -n "$(second_output "$p" x)" ] || continue
		make_input "$p" 10 >in.ndjson
		for other in same.ndjson ./same.ndjson "$PWD/same.ndjson" link.ndjson hard.ndjson; do
			rm -f runs.ndjson
			# shellcheck disable=SC2046
			ML_RUN_LOG=runs.ndjson run --separate-stderr "$p" $(file_args "$p" same.ndjson) \
				$(second_output "$p" "$other") in.ndjson
			assert_equal "$status" 2
			assert_regex "$stderr" "^$p: -o and --[a-z]+ both write '.*': give each its own file"
			assert_equal "$(cat same.ndjson)" old
			assert_no_temp_files
		done
		# standard output sent to the file the other output names
		# shellcheck disable=SC2046
		run --separate-stderr sh -c '"$@" >same.ndjson' sh "$p" $(filter_args "$p") \
			$(second_output "$p" same.ndjson) in.ndjson
		assert_equal "$status" 2
		assert_regex "$stderr" "^$p: the output and --[a-z]+ both write 'same.ndjson'"
		echo old >same.ndjson
	done
	# ml-validate's third output, and ml-eval's curves
	run --separate-stderr ml-validate -s "$ANY_SCHEMA" -o out.ndjson --reject r.ndjson --report ./r.ndjson in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-validate: --reject and --report both write"
	ml-predict "$PREDICT_BUNDLE" in.ndjson >scored.ndjson
	run --separate-stderr ml-eval --label x -o c.ndjson --curves link2.ndjson scored.ndjson
	assert_success
	ln -sf c.ndjson link2.ndjson
	run --separate-stderr ml-eval --label x -o c.ndjson --curves link2.ndjson scored.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-eval: -o and --curves both write"
}

@test "two outputs may both be /dev/null, and two new files in one directory by two paths are one" {
	for p in "${PROGRAMS[@]}"; do
		[ -n "$(second_output "$p" x)" ] || continue
		make_input "$p" 10 >in.ndjson
		# shellcheck disable=SC2046
		run "$p" $(file_args "$p" /dev/null) $(second_output "$p" /dev/null) in.ndjson
		assert_success
		# shellcheck disable=SC2046
		run --separate-stderr "$p" $(file_args "$p" new.ndjson) $(second_output "$p" "../$(basename "$PWD")/new.ndjson") in.ndjson
		assert_equal "$status" 2
		assert [ ! -e new.ndjson ]
	done
	# ml-split's parts, through a link
	touch real.ndjson
	ln -s real.ndjson link.ndjson
	run --separate-stderr ml-split --ratio a=0.5,b=0.5 -o a=real.ndjson -o b=link.ndjson in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-split: parts 'a' and 'b' both write"
}

@test "the run log holds the command line as it was typed, operands in place and every option's value whole" {
	gen_records 50 >in.ndjson
	ML_RUN_LOG=runs.ndjson ml-train -t x -a gbdt -p rounds=3 --param=max_depth=2 -peta=0.5 in.ndjson -o m.bundle
	assert_equal "$(jq -c .argv runs.ndjson)" \
		'["ml-train","-t","x","-a","gbdt","-p","rounds=3","--param=max_depth=2","-peta=0.5","in.ndjson","-o","m.bundle"]'
}

# --- options and signals -----------------------------------------------------

@test "an unknown option exits 2 with a message starting with the program's name, however it is called" {
	for p in "${PROGRAMS[@]}"; do
		for how in "$p" "$(command -v "$p")"; do
			run --separate-stderr "$how" --no-such-option
			assert_usage_error "$p"
			assert_regex "$stderr" "Try '$p --help'"
			run --separate-stderr "$how" -Q
			assert_usage_error "$p"
		done
	done
}

@test "--help and --version exit 0 and write only to stdout" {
	for p in "${PROGRAMS[@]}"; do
		run --separate-stderr "$p" --help
		assert_success
		assert_equal "$stderr" ""
		assert_line --index 0 --regexp "^Usage: $p "
		run --separate-stderr "$p" --version
		assert_success
		assert_equal "$stderr" ""
		assert_output --regexp "^$p \(mlpipe\) [0-9]"
	done
}

@test "a program killed while writing -o FILE leaves no temporary file and the old file" {
	for p in "${PROGRAMS[@]}"; do
		echo previous >out.ndjson
		cp out.ndjson out.before
		rm -f feed
		mkfifo feed
		# shellcheck disable=SC2046
		"$p" $(file_args "$p" out.ndjson) feed 3>&- &
		local pid=$!
		exec 4<>feed
		make_input "$p" 1000 >&4
		# the temporary file is there while the run goes on
		for _ in $(seq 100); do
			[ -n "$(find . -maxdepth 1 -name '.out.ndjson.??????')" ] && break
			sleep 0.05
		done
		assert [ -n "$(find . -maxdepth 1 -name '.out.ndjson.??????')" ]
		kill -TERM "$pid"
		local st=0
		wait "$pid" || st=$?
		exec 4>&-
		assert_equal "$st" 143
		assert_bytes_equal out.before out.ndjson
		assert_no_temp_files
	done
}

@test "--progress reports the records read on stderr, ending with the total" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 3000 > in.ndjson
		run --separate-stderr $p $(filter_args "$p") --progress in.ndjson
		assert_success
		# the last line says how many records were read, whatever came before it
		last=$(printf '%s' "$stderr" | tr '\r' '\n' | grep -v '^$' | tail -n 1)
		assert_equal "$last" "$p: 3000 records"
	done
}

@test "without --progress, and with stderr not a terminal, nothing is reported" {
	for p in "${PROGRAMS[@]}"; do
		make_input "$p" 3000 > in.ndjson
		run --separate-stderr $p $(filter_args "$p") in.ndjson
		assert_success
		assert_equal "$stderr" ""
	done
}
