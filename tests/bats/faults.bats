#!/usr/bin/env bats
# Faults (issue 10): what every program does when the world goes wrong under
# it: a full device or filesystem, SIGKILL in the middle of an output file,
# a reader that goes away, closed standard streams, inputs that cannot be
# opened or read, directories where files belong, and missing files among
# several inputs.
#
# conventions.bats already covers, for ml-ingest, ml-split, ml-stats,
# ml-validate, ml-train and ml-predict: standard output and -o to
# /dev/full, | head -1, chmod 000 and a nonexistent single input, a
# directory as the input and as -o, SIGTERM while writing -o.  This file
# does the rest: the other five programs, the other outputs and inputs of
# all eleven (--reject, --report, --curves, parts, schemas, bundles,
# profiles, metrics, run logs, registries), and the faults it does not try.
# SIGKILL during a registry update is in ml-promote.bats.
#
# Real programs, real files: the inputs are made once, in setup_file, by
# the programs themselves (a schema, a profile, a bundle, metrics, a drift
# result, a registry and a run log), in $D.
#
# Tests that span many programs collect what each program got wrong
# (problem) and report every one at the end (assert_no_problems), so one
# run names every program that fails, not just the first.

load helper

setup_file() {
	if [ -n "${ML_BIN:-}" ]; then
		PATH="$ML_BIN:$PATH"
		export PATH
	fi
	export ML_RUN_LOG=off
	unset ML_HOME ML_PIPELINE_ID ML_REGISTRY
	D=$BATS_FILE_TMPDIR
	cd "$D" || return 1
	# records with a binary label y, a number x and a category s
	labelled 500 1 >small.ndjson
	labelled 100 1 >a.ndjson
	labelled 100 101 >b.ndjson
	labelled 100 201 >c.ndjson
	labelled 100000 1 >big.ndjson
	labelled 5000 1 >s5k.ndjson
	{ cat small.ndjson; echo '{"id":501,"x":"not a number","s":"a","y":0}'; echo 'not json'; } >bad.ndjson
	# 60 records of 1,500 columns: long profiles, drift results and reports
	awk 'BEGIN { for (i = 1; i <= 60; i++) { printf "{\"id\":%d", i
		for (c = 1; c <= 1500; c++) printf ",\"c%d\":%.2f", c, ((i * 7919 + c * 104729) % 1000) / 1000
		printf ",\"k\":\"%s\"}\n", (i % 2 ? "a" : "b") } }' >wide.ndjson
	# the artifacts, made by the programs
	ml-validate --infer big.ndjson >schema.json
	ml-stats -f ndjson -o profile.ndjson small.ndjson
	ml-stats -f ndjson -o wide.profile wide.ndjson
	ml-train -t y -a logistic -o model.bundle small.ndjson
	ml-train -t y -a logistic -o model2.bundle a.ndjson
	ml-eval -o metrics.ndjson model.bundle small.ndjson
	ml-eval -o metrics2.ndjson model2.bundle small.ndjson
	ml-drift -o drift.ndjson profile.ndjson small.ndjson
	ml-promote -r reg register model.bundle >/dev/null
	ml-promote -r reg promote model.bundle --to production -m metrics.ndjson >/dev/null
	# a run log of one small pipeline, and a long one (3,000 runs)
	ML_RUN_LOG=$D/runs.ndjson ml-ingest --format ndjson small.ndjson |
		ML_RUN_LOG=$D/runs.ndjson ml-validate -s schema.json |
		ML_RUN_LOG=$D/runs.ndjson ml-stats -f ndjson >/dev/null
	ML_RUN_LOG=$D/runs.ndjson ml-train -t y -a logistic -o m.bundle small.ndjson
	ML_RUN_LOG=$D/runs.ndjson ml-eval -o m.metrics m.bundle small.ndjson
	awk '{ for (i = 0; i < 600; i++) { l = $0
		sub(/"run_id":"[0-9a-f]+"/, sprintf("\"run_id\":\"%032x\"", NR * 1000 + i), l); print l } }' \
		runs.ndjson >big.runs
	echo 'a plain file' >plain
	mkdir -p notes
	echo 'a directory that is no registry' >notes/readme
}

setup() {
	ml_setup
	D=$BATS_FILE_TMPDIR
	problems=()
}

teardown() {
	if [ -n "${FS:-}" ] && mountpoint -q "$FS"; then
		umount "$FS"
	fi
}

# labelled N FIRST: N records {"id","x","s","y"} with ids from FIRST; y
# depends on x, with some noise, so that a model has something to learn.
labelled() {
	awk -v n="$1" -v first="$2" 'BEGIN {
		for (i = first; i < first + n; i++) {
			x = ((i * 7919) % 1000) / 100
			s = (i % 3 == 0) ? "a" : (i % 3 == 1 ? "b" : "c")
			y = (x + ((i * 104729) % 400) / 100 > 7) ? 1 : 0
			printf "{\"id\":%d,\"x\":%.2f,\"s\":\"%s\",\"y\":%d}\n", i, x, s, y
		}
	}'
}

# problem TEXT: note what a program got wrong, and go on (the inputs' directory
# is left out of TEXT: D/small.ndjson reads better than /tmp/bats-run-...).
problem() {
	local text="$*"
	problems+=("${text//$D\//D/}")
}

# assert_no_problems TITLE: fails listing every problem noted.
assert_no_problems() {
	if ((${#problems[@]})); then
		printf '%s\n' "${problems[@]}" | batslib_decorate "$1" | fail
		return 1
	fi
}

# small_fs [SIZE]: mounts a tmpfs of SIZE (default 64k) on ./fs, as FS;
# skips the test, saying why, where it cannot.  teardown unmounts it.
small_fs() {
	mkdir -p fs
	if ! mount -t tmpfs -o "size=${1:-64k}" tmpfs fs 2>mount.err; then
		skip "cannot mount a small tmpfs ($(cat mount.err)): a full filesystem is not tried"
	fi
	FS=$PWD/fs
}

# fill_fs: fills ./fs to the last block.
fill_fs() {
	dd if=/dev/zero of=fs/.fill bs=4k 2>/dev/null || true
}

# leftovers DIR NAME: files in DIR other than NAME, .fill and those listed
# in KEEP (space separated).
leftovers() {
	local f
	for f in "$1"/* "$1"/.*; do
		f=${f##*/}
		case " . .. .fill $2 ${KEEP:-} " in
		*" $f "*) continue ;;
		esac
		if [ -e "$1/$f" ]; then echo "$f"; fi
	done
	return 0
}

# stdout_args PROG: arguments that make PROG do real work on small inputs and
# write its result to standard output.
stdout_args() {
	case $1 in
	ml-ingest) echo "--format ndjson $D/small.ndjson" ;;
	ml-split) echo "--ratio train=0.8,test=0.2 --tag part $D/small.ndjson" ;;
	ml-validate) echo "-s $D/schema.json $D/small.ndjson" ;;
	ml-stats) echo "-f ndjson $D/small.ndjson" ;;
	ml-drift) echo "$D/profile.ndjson $D/small.ndjson" ;;
	ml-train) echo "-t y -a logistic $D/small.ndjson" ;;
	ml-predict) echo "$D/model.bundle $D/small.ndjson" ;;
	ml-eval) echo "$D/model.bundle $D/small.ndjson" ;;
	ml-promote) echo "-r $D/reg list -f ndjson" ;;
	ml-log) echo "--run-log $D/runs.ndjson runs" ;;
	ml-report) echo "$D/profile.ndjson $D/drift.ndjson $D/metrics.ndjson $D/model.bundle $D/reg $D/runs.ndjson" ;;
	esac
}

# stdin_args PROG: arguments that make PROG read its records (or its
# artifact) from standard input.  ml-promote never reads standard input.
stdin_args() {
	case $1 in
	ml-ingest) echo "--format ndjson" ;;
	ml-split) echo "--ratio train=0.8,test=0.2 --tag part" ;;
	ml-validate) echo "-s $D/schema.json" ;;
	ml-stats) echo "-f ndjson" ;;
	ml-drift) echo "$D/profile.ndjson -" ;;
	ml-train) echo "-t y -a logistic" ;;
	ml-predict) echo "$D/model.bundle" ;;
	ml-eval) echo "$D/model.bundle" ;;
	ml-log) echo "--run-log - runs" ;;
	ml-report) echo "-f text" ;;
	esac
}

# file_args PROG FILE: arguments that make PROG write its result to -o FILE
# (ml-split: its one part; ml-promote has no -o).
file_args() {
	case $1 in
	ml-split) echo "--ratio all=1 -o all=$2 $D/small.ndjson" ;;
	ml-promote) return 1 ;;
	*) echo "-o $2 $(stdout_args "$1")" ;;
	esac
}

# big_file_args PROG FILE: as file_args, on inputs that make an output far
# larger than 64 KiB and take a while.
big_file_args() {
	case $1 in
	ml-ingest) echo "--format ndjson -o $2 $D/big.ndjson" ;;
	ml-split) echo "--ratio all=1 -o all=$2 $D/big.ndjson" ;;
	ml-validate) echo "-s $D/schema.json -o $2 $D/big.ndjson" ;;
	ml-stats) echo "-f ndjson -o $2 $D/wide.ndjson $D/big.ndjson" ;;
	ml-drift) echo "-o $2 $D/wide.profile $D/wide.ndjson" ;;
	ml-train) echo "-t k -a logistic -o $2 $D/wide.ndjson" ;;
	ml-predict) echo "-o $2 $D/model.bundle $D/big.ndjson" ;;
	ml-eval) echo "--slice id -o $2 $D/model.bundle $D/s5k.ndjson" ;;
	ml-log) echo "--run-log $D/big.runs runs -o $2" ;;
	ml-report) echo "-o $2 $D/wide.profile $D/profile.ndjson $D/drift.ndjson $D/metrics.ndjson $D/model.bundle $D/reg $D/runs.ndjson" ;;
	esac
}

FILE_PROGRAMS=(ml-ingest ml-split ml-validate ml-stats ml-drift ml-train ml-predict ml-eval ml-log ml-report)
ALL_PROGRAMS=(ml-ingest ml-split ml-validate ml-stats ml-drift ml-train ml-predict ml-eval ml-promote ml-log ml-report)

# The outputs other than the main one: "PROG ARGS" with OUT for the file.
other_outputs() {
	cat <<EOF
ml-ingest --format ndjson --reject OUT $D/bad.ndjson
ml-validate -s $D/schema.json --max-invalid 100% --reject OUT $D/bad.ndjson
ml-validate -s $D/schema.json --report OUT $D/small.ndjson
ml-validate --infer -o OUT $D/small.ndjson
ml-stats --merge -f ndjson -o OUT $D/profile.ndjson $D/profile.ndjson
ml-stats -f text -o OUT $D/small.ndjson
ml-split --ratio train=0.5,test=0.5 -o train=/dev/null -o test=OUT $D/small.ndjson
ml-train -t y -a logistic --cv 3 --report OUT $D/small.ndjson
ml-predict --reject OUT $D/model.bundle $D/bad.ndjson
ml-eval --curves OUT $D/model.bundle $D/small.ndjson
ml-drift -f text -o OUT $D/profile.ndjson $D/small.ndjson
ml-eval -f text -o OUT $D/model.bundle $D/small.ndjson
ml-log --run-log $D/runs.ndjson runs -f text -o OUT
ml-report -f text -o OUT $D/profile.ndjson $D/metrics.ndjson
EOF
}

# run_line LINE OUT: runs the other_outputs LINE, writing to OUT, with its
# standard output thrown away, under bats' run.
run_line() {
	local -a words
	read -ra words <<<"${1//OUT/$2}"
	run --separate-stderr bash -c '"$@" >/dev/null' - "${words[@]}"
}

# --- write errors: a full device --------------------------------------------

@test "ml-drift, ml-eval and ml-promote writing to a full device (/dev/full) say they cannot and exit 2" {
	# (ml-log, ml-report and ml-promote's queries: in their own suites)
	local cmd
	for cmd in "ml-drift $(stdout_args ml-drift)" "ml-drift -f text $(stdout_args ml-drift)" \
		"ml-drift -o /dev/full $(stdout_args ml-drift)" \
		"ml-eval $(stdout_args ml-eval)" "ml-eval -f text $(stdout_args ml-eval)" \
		"ml-eval -o /dev/full $(stdout_args ml-eval)" \
		"ml-eval --label y $D/s5k.ndjson --pred y --slice s" \
		"ml-promote -r reg register $D/model.bundle" \
		"ml-promote -r reg promote $D/model.bundle --to staging -m $D/metrics.ndjson" \
		"ml-promote -r $D/reg promote $D/model2.bundle --to production -m $D/metrics2.ndjson --dry-run -f ndjson"; do
		rm -rf reg
		run --separate-stderr bash -c "$cmd >/dev/full"
		[ "$status" = 2 ] || problem "$cmd >/dev/full: exit $status, not 2"
		[[ "$stderr" =~ ^ml-[a-z]+:\ cannot\ write\ \'(\<stdout\>|/dev/full)\':\ No\ space\ left\ on\ device ]] ||
			problem "$cmd >/dev/full: stderr '$stderr'"
	done
	assert_no_problems "writes to a full device that were not errors"
}

@test "every other output (rejects, reports, curves, parts, schemas, merged profiles, text) on a full device: exit 2, cannot write '/dev/full'" {
	local line
	while read -r line; do
		run_line "$line" /dev/full
		[ "$status" = 2 ] || problem "$line (OUT=/dev/full): exit $status, not 2"
		[[ "$stderr" == "${line%% *}: cannot write '/dev/full': No space left on device"* ]] ||
			problem "$line (OUT=/dev/full): stderr '$stderr'"
	done < <(other_outputs)
	# the same to standard output
	for line in "ml-validate --infer $D/small.ndjson" "ml-stats --merge -f ndjson $D/profile.ndjson $D/profile.ndjson" \
		"ml-stats -f text $D/small.ndjson" "ml-predict --info $D/model.bundle" \
		"ml-predict --explain $D/model.bundle $D/small.ndjson" "ml-log --run-log $D/runs.ndjson lineage $D/m.metrics"; do
		run --separate-stderr bash -c "$line >/dev/full"
		[ "$status" = 2 ] || problem "$line >/dev/full: exit $status, not 2"
		[[ "$stderr" == "${line%% *}: cannot write '<stdout>': No space left on device"* ]] ||
			problem "$line >/dev/full: stderr '$stderr'"
	done
	assert_no_problems "writes to a full device that were not errors"
}

@test "a run log on a full device (--run-log /dev/full): every program that logs says it cannot write the run log and exits 2" {
	local p
	for p in "${ALL_PROGRAMS[@]}"; do
		[ "$p" = ml-log ] && continue # never appends to the log
		rm -rf reg && cp -r "$D/reg" reg
		local args
		args=$(stdout_args "$p")
		[ "$p" = ml-promote ] && args="-r reg register $D/model2.bundle"
		# shellcheck disable=SC2086
		run --separate-stderr "$p" --run-log /dev/full $args
		[ "$status" = 2 ] || problem "$p --run-log /dev/full $args: exit $status, not 2"
		[[ "$stderr" == *"$p: cannot write run log '/dev/full': No space left on device"* ]] ||
			problem "$p --run-log /dev/full: stderr '$stderr'"
	done
	assert_no_problems "run logs on a full device that were not errors"
}

# --- write errors: a full filesystem ----------------------------------------

@test "-o FILE on a full filesystem: exit 2 naming FILE, the previous FILE intact, no temporary file; with room the same run replaces it" {
	small_fs 256k
	local p line
	{
		for p in "${FILE_PROGRAMS[@]}"; do
			echo "$p $(file_args "$p" OUT)"
		done
		other_outputs
	} >cases
	while read -r line; do
		p=${line%% *}
		rm -f fs/.fill
		echo "previous output of $p" >fs/out
		cp fs/out before
		fill_fs
		run_line "$line" fs/out
		[ "$status" = 2 ] || problem "$line (OUT on a full fs): exit $status, not 2"
		[[ "$stderr" == "$p: cannot write 'fs/out': No space left on device"* ]] ||
			problem "$line (OUT on a full fs): stderr '$stderr'"
		cmp -s before fs/out || problem "$line (OUT on a full fs): the previous file changed"
		[ -z "$(leftovers fs out)" ] || problem "$line (OUT on a full fs): left $(leftovers fs out | tr '\n' ' ')"
		# with room, the same command is right
		rm fs/.fill
		run_line "$line" fs/out
		[ "$status" = 0 ] || problem "$line (OUT with room): exit $status: $stderr"
		cmp -s before fs/out && problem "$line (OUT with room): the file was not replaced"
	done <cases
	assert_no_problems "outputs on a full filesystem"
}

@test "-o FILE that outgrows the filesystem while it is written: exit 2, the previous FILE intact, no temporary file" {
	small_fs 64k
	local p
	for p in "${FILE_PROGRAMS[@]}"; do
		echo "previous output of $p" >fs/out
		cp fs/out before
		# shellcheck disable=SC2046
		run --separate-stderr "$p" $(big_file_args "$p" fs/out)
		[ "$status" = 2 ] || problem "$p $(big_file_args "$p" fs/out): exit $status, not 2"
		[[ "$stderr" == "$p: cannot write 'fs/out': No space left on device"* ]] ||
			problem "$p (big output): stderr '$stderr'"
		cmp -s before fs/out || problem "$p (big output): the previous file changed"
		[ -z "$(leftovers fs out)" ] || problem "$p (big output): left $(leftovers fs out | tr '\n' ' ')"
	done
	assert_no_problems "outputs that outgrew the filesystem"
}

@test "ml-promote on a full filesystem: register and promote exit 2; the stage, the objects and the history stay as they were, verify passes, no temporary file" {
	small_fs 256k
	ml-promote -r fs/reg register "$D/model.bundle" >/dev/null
	ml-promote -r fs/reg promote "$D/model.bundle" --to production -m "$D/metrics.ndjson" >/dev/null
	find fs/reg -type f | sort | xargs sha256sum >before
	fill_fs
	local cmd
	for cmd in "register $D/model2.bundle" "promote $D/model2.bundle --to production -m $D/metrics2.ndjson" \
		"promote $D/model.bundle --to staging -m $D/metrics.ndjson"; do
		# shellcheck disable=SC2086
		run --separate-stderr ml-promote -r fs/reg $cmd
		assert_equal "$status" 2
		assert_regex "$stderr" "^ml-promote: .*No space left on device"
		find fs/reg -type f | sort | xargs sha256sum >after
		assert_bytes_equal before after
		run --separate-stderr ml-promote -r fs/reg verify
		assert_success
		assert_equal "$(ml-promote -r fs/reg show production | jq -r .model)" "$(sha256_id "$D/model.bundle")"
	done
	# with room, the promote goes through
	rm fs/.fill
	ml-promote -r fs/reg promote "$D/model2.bundle" --to production -m "$D/metrics2.ndjson" >/dev/null
	assert_equal "$(ml-promote -r fs/reg show production | jq -r .model)" "$(sha256_id "$D/model2.bundle")"
	run --separate-stderr ml-promote -r fs/reg verify
	assert_success
}

@test "a run log on a filesystem that fills up: exit 2, and the log keeps whole lines, so the next run's line and ml-log still read" {
	small_fs 64k
	local p args
	for p in "${ALL_PROGRAMS[@]}"; do
		[ "$p" = ml-log ] && continue # never appends to the log
		rm -f fs/.fill fs/runs.ndjson
		rm -rf reg && cp -r "$D/reg" reg
		args=$(stdout_args "$p")
		[ "$p" = ml-promote ] && args="-r reg register $D/model2.bundle"
		# whole lines, ending in the middle of a page, so that a run's line
		# finds room for only part of itself
		awk 'BEGIN { for (i = 0; i < 66; i++) print "{\"format\":\"mlpipe.run\",\"note\":\"a whole line of padding\"}" }' \
			>fs/runs.ndjson
		fill_fs
		# shellcheck disable=SC2086
		run --separate-stderr bash -c 'ML_RUN_LOG=fs/runs.ndjson "$@" >/dev/null' - "$p" $args
		[ "$status" = 2 ] || problem "$p: exit $status with the run log's filesystem full"
		[[ "$stderr" == *"$p: cannot write run log 'fs/runs.ndjson': No space left on device"* ]] ||
			problem "$p: stderr '$stderr'"
		[ "$(tail -c 1 fs/runs.ndjson | od -An -c | tr -d ' ')" = '\n' ] ||
			problem "$p: the run log ends in a torn line: '$(tail -n 1 fs/runs.ndjson | cut -c 1-60)...'"
		rm fs/.fill
		# shellcheck disable=SC2086
		ML_RUN_LOG=fs/runs.ndjson "$p" $args >/dev/null 2>&1 || true
		jq -e . fs/runs.ndjson >/dev/null 2>&1 || problem "$p: after the next run, a line of the run log is not JSON"
		ml-log --run-log fs/runs.ndjson runs >/dev/null 2>&1 || problem "$p: ml-log runs fails on the log"
	done
	assert_no_problems "run logs torn by a full filesystem"
}

# --- SIGKILL while writing --------------------------------------------------

# now_ms: the time in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

@test "SIGKILL at a random moment while writing -o FILE (10 times each): FILE is the old one or the whole new one, and only .FILE.XXXXXX can be left" {
	local p i t0 ms pid rc old new killed temps
	for p in "${FILE_PROGRAMS[@]}"; do
		mkdir "$p" && cd "$p"
		# the whole new file, and how long it takes
		t0=$(now_ms)
		# shellcheck disable=SC2046
		"$p" $(big_file_args "$p" new)
		ms=$(($(now_ms) - t0 + 5))
		old=0 new=0 killed=0 temps=0
		for i in $(seq 10); do
			echo "previous output of $p" >out
			cp out before
			# shellcheck disable=SC2046
			"$p" $(big_file_args "$p" out) 2>/dev/null &
			pid=$!
			sleep "$(awk -v ms="$ms" -v r="$RANDOM" 'BEGIN { printf "%.3f", ms * r / 32768 / 1000 }')"
			kill -KILL "$pid" 2>/dev/null || true
			rc=0
			wait "$pid" 2>/dev/null || rc=$?
			[ "$rc" = 137 ] && killed=$((killed + 1))
			if cmp -s out before; then
				old=$((old + 1))
			elif cmp -s out new; then
				new=$((new + 1))
			else
				problem "$p, kill $i (exit $rc): out is neither the old file nor the whole new one ($(wc -c <out) bytes of $(wc -c <new))"
			fi
			# what is left besides: only the hidden temporary name
			local left
			left=$(KEEP="new before" leftovers . out)
			if [ -n "$left" ]; then
				temps=$((temps + 1))
				grep -vqE '^\.out\.[A-Za-z0-9]{6}$' <<<"$left" &&
					problem "$p, kill $i: left a file that is not .out.XXXXXX: $(tr '\n' ' ' <<<"$left")"
				# shellcheck disable=SC2086 # one name a line
				rm -f $left
			fi
		done
		echo "# $p: $killed of 10 runs killed; out was the old file $old times, the new one $new; $temps kills left .out.XXXXXX" >&3
		cd ..
	done
	assert_no_problems "partial files after SIGKILL"
}

@test "SIGKILL in the middle of a streaming output: FILE stays the old one; the one thing left is its hidden temporary file, .FILE.XXXXXX" {
	local p pid
	for p in ml-ingest ml-split ml-validate ml-predict; do
		echo "previous output of $p" >out
		cp out before
		rm -f feed
		mkfifo feed
		local args
		case $p in
		ml-ingest) args="--format ndjson -o out feed" ;;
		ml-split) args="--ratio all=1 -o all=out feed" ;;
		ml-validate) args="-s $D/schema.json -o out feed" ;;
		ml-predict) args="-o out $D/model.bundle feed" ;;
		esac
		# shellcheck disable=SC2086
		"$p" $args 3>&- &
		pid=$!
		exec 4<>feed
		# more than the output buffer, and the writer stays open: the run
		# is in the middle of its output
		head -n 20000 "$D/big.ndjson" >&4
		for _ in $(seq 200); do
			[ -s "$(find . -maxdepth 1 -name '.out.??????' | head -1)" ] && break
			sleep 0.02
		done
		run find . -maxdepth 1 -name '.out.??????' -size +0
		[ -n "$output" ] || problem "$p: no temporary file with data after 20000 records"
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
		exec 4>&-
		cmp -s before out || problem "$p: out changed"
		local left
		left=$(KEEP="before feed" leftovers . out)
		[[ "$left" =~ ^\.out\.[A-Za-z0-9]{6}$ ]] || problem "$p: left '$left', not one .out.XXXXXX"
		# shellcheck disable=SC2086 # one name a line
		rm -f $left
	done
	assert_no_problems "SIGKILL in the middle of a streaming output"
}

# --- a reader that goes away ------------------------------------------------

@test "a reader that goes away (| head -1) stops every other filter quietly with status 0" {
	# (conventions.bats: the six record filters' main output; ml-log and
	# ml-promote: in their own suites)
	echo 'previous' >part.before
	local cmd st
	for cmd in "ml-drift $D/wide.profile $D/wide.ndjson" "ml-drift -f text $D/wide.profile $D/wide.ndjson" \
		"ml-drift $D/wide.ndjson $D/wide.ndjson" \
		"ml-eval --slice id $D/model.bundle $D/s5k.ndjson" "ml-eval --slice id -f text $D/model.bundle $D/s5k.ndjson" \
		"ml-report $D/wide.profile" "ml-report -f text $D/wide.profile" \
		"ml-stats -f text $D/wide.ndjson" "ml-stats --merge -f ndjson $D/wide.profile $D/wide.profile" \
		"ml-validate --infer $D/wide.ndjson" "ml-predict --explain $D/model.bundle $D/big.ndjson" \
		"ml-split --ratio a=0.5,b=0.5 -o a=- -o b=part $D/big.ndjson" \
		"ml-validate -s $D/schema.json --reject part $D/big.ndjson $D/bad.ndjson"; do
		cp part.before part
		# shellcheck disable=SC2086
		timeout 60 $cmd 2>err | head -1 >first
		st=${PIPESTATUS[0]}
		[ "$st" = 0 ] || problem "$cmd | head -1: exit $st"
		[ ! -s err ] || problem "$cmd | head -1: stderr '$(cat err)'"
		[ "$(nlines first)" = 1 ] || problem "$cmd | head -1: no first line"
		# a file written beside standard output is never left partial
		if [[ "$cmd" == *part* ]] && ! cmp -s part part.before; then
			# shellcheck disable=SC2086
			${cmd//part/whole} >/dev/null 2>&1 || true
			cmp -s part whole || problem "$cmd | head -1: the other output is partial ($(nlines part) lines of $(nlines whole))"
		fi
	done
	assert_no_problems "filters that were not quiet when the reader went away"
}

# --- closed standard streams ------------------------------------------------

@test "with standard input closed (<&-), a program told to read it says it cannot read '<stdin>' and exits 2" {
	local p args
	for p in "${ALL_PROGRAMS[@]}"; do
		[ "$p" = ml-promote ] && continue # never reads standard input
		args=$(stdin_args "$p")
		# shellcheck disable=SC2086
		run --separate-stderr bash -c "$p $args <&-"
		[ "$status" = 2 ] || problem "$p $args <&-: exit $status (stdout ${#output} bytes), not 2"
		[[ "$stderr" == *"'<stdin>'"*"Bad file descriptor"* ]] ||
			problem "$p $args <&-: stderr '${stderr:-<empty>}'"
	done
	assert_no_problems "closed standard input not reported"
}

@test "with standard input closed, a program given its files does its work as usual" {
	local p args
	for p in "${ALL_PROGRAMS[@]}"; do
		args=$(stdout_args "$p")
		# shellcheck disable=SC2086
		"$p" $args >want
		# shellcheck disable=SC2086
		run --separate-stderr bash -c "$p $args <&- >got"
		[ "$status" = 0 ] || problem "$p $args <&-: exit $status: $stderr"
		# (the run log's and the registry's times differ from run to run)
		if [ "$p" != ml-report ]; then
			cmp -s want got || problem "$p $args <&-: the output differs"
		fi
	done
	assert_no_problems "programs that went wrong with standard input closed"
}

@test "with standard output closed (>&-), a program exits 2 and its data goes nowhere else: not into the run log" {
	local p args
	for p in "${ALL_PROGRAMS[@]}"; do
		args=$(stdout_args "$p")
		rm -f runs.ndjson
		# shellcheck disable=SC2086
		run --separate-stderr bash -c "ML_RUN_LOG=runs.ndjson $p $args >&-"
		[ "$status" = 2 ] || problem "$p $args >&-: exit $status, not 2"
		[[ "$stderr" == *"'<stdout>'"*"Bad file descriptor"* ]] ||
			problem "$p $args >&-: stderr '${stderr:-<empty>}'"
		if [ -e runs.ndjson ]; then
			local other
			other=$(jq -c 'select(.format != "mlpipe.run")' runs.ndjson 2>&1 | head -1 | cut -c 1-80)
			[ -z "$other" ] || problem "$p $args >&-: the run log got data: $other"
		fi
	done
	assert_no_problems "programs that wrote elsewhere with standard output closed"
}

@test "with standard error closed (2>&-), a message never lands in the run log or an output file" {
	local p cmd
	for cmd in "ml-validate -s $D/schema.json -o out $D/bad.ndjson" "ml-ingest --format ndjson -o out $D/bad.ndjson" \
		"ml-stats -f ndjson -o out $D/bad.ndjson" "ml-predict -o out $D/model.bundle $D/bad.ndjson" \
		"ml-drift -o out $D/profile.ndjson $D/bad.ndjson" "ml-report -o out $D/small.ndjson" \
		"ml-eval -o out $D/model.bundle $D/bad.ndjson" "ml-train -t y -o out $D/bad.ndjson"; do
		p=${cmd%% *}
		rm -f runs.ndjson out
		run bash -c "ML_RUN_LOG=runs.ndjson $cmd 2>&-"
		[ "$status" = 2 ] || problem "$cmd 2>&-: exit $status, not 2"
		[ ! -e out ] || problem "$cmd 2>&-: wrote out"
		local other
		other=$(jq -R 'fromjson? // . | select(type != "object" or .format != "mlpipe.run")' runs.ndjson 2>&1 | head -1 | cut -c 1-100)
		[ -z "$other" ] || problem "$cmd 2>&-: the run log got: $other"
	done
	assert_no_problems "messages written into files with standard error closed"
}

# --- inputs that cannot be opened or read -----------------------------------

# input_cases PATH: one command per line, each reading PATH as one of its
# inputs: records, a schema, a profile, a bundle, metrics, a run log, an
# artifact, a baseline, merge inputs.
input_cases() {
	cat <<EOF
ml-ingest --format ndjson $1
ml-ingest --schema $1 $D/small.ndjson
ml-split --ratio a=1 -o a=- $1
ml-validate -s $D/schema.json $1
ml-validate -s $1 $D/small.ndjson
ml-stats -f ndjson $1
ml-stats --merge -f ndjson $D/profile.ndjson $1
ml-drift $D/profile.ndjson $1
ml-drift $1 $D/small.ndjson
ml-train -t y -a logistic $1
ml-train -t y -a gbdt --valid $1 --early-stop 2 $D/small.ndjson
ml-predict $D/model.bundle $1
ml-predict $1 $D/small.ndjson
ml-eval $D/model.bundle $1
ml-eval $1 $D/small.ndjson
ml-eval --label y $1
ml-eval --baseline $1 $D/model.bundle $D/small.ndjson
ml-promote -r reg register $1
ml-promote -r reg promote $D/model.bundle --to staging -m $1
ml-log --run-log $1 runs
ml-log --run-log $D/runs.ndjson lineage $1
ml-report $1
ml-report $D/profile.ndjson $1
EOF
}

# expect_input_error PATH ERROR: every input_cases command exits 2, writes
# nothing on stdout, and says what is wrong with PATH: its name and ERROR.
# Commands that match EXCEPT (a regex) are left out.
expect_input_error() {
	local line
	while read -r line; do
		[ -n "${EXCEPT:-}" ] && [[ "$line" =~ $EXCEPT ]] && continue
		rm -rf reg
		# shellcheck disable=SC2086
		run --separate-stderr ${PRE:-} $line
		[ "$status" = 2 ] || problem "$line: exit $status, not 2"
		[ -z "$output" ] || problem "$line: wrote to stdout"
		[[ "${stderr_lines[0]:-}" == "${line%% *}: "*"$1"*"$2"* ]] ||
			problem "$line: stderr '${stderr:-<empty>}'"
	done < <(input_cases "$1")
}

@test "an input whose path goes through a plain file (plain/x: ENOTDIR) is an error naming it, for every input of every program" {
	expect_input_error "$D/plain/x" "Not a directory"
	assert_no_problems "inputs that could not be opened, not reported as such"
}

@test "an input without read permission (chmod 000, run without CAP_DAC_OVERRIDE) is an error naming it, for every input of every program" {
	# as root, permissions hold only for a process without the capabilities
	# that bypass them: as_unprivileged drops them (setpriv)
	cp "$D/model.bundle" locked
	chmod 000 locked
	PRE=as_unprivileged expect_input_error locked "Permission denied"
	assert_no_problems "unreadable inputs not reported as such"
}

@test "an input that fails when read (EIO: /proc/self/mem opens, then read(2) fails) is an error naming it, for every input of every program" {
	expect_input_error /proc/self/mem "Input/output error"
	assert_no_problems "read errors not reported as such"
}

@test "a directory given as an input file is an error naming it, for every input of every program" {
	# (an empty directory is an empty registry to ml-promote and ml-report:
	# notes/ holds a file and no registry.json)
	mkdir dir
	echo x >dir/file
	EXCEPT='^ml-report' expect_input_error dir "Is a directory"
	assert_no_problems "directories read as files"
	run --separate-stderr ml-report "$D/notes"
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-report: .*notes.*not a registry"
}

@test "a directory as -o FILE or as any other output is an error naming it; the directory is left alone and no temporary file is made" {
	mkdir outdir
	local p line
	{
		for p in ml-drift ml-eval ml-log ml-report; do
			echo "$p $(file_args "$p" OUT)"
		done
		other_outputs
	} >cases
	while read -r line; do
		run_line "$line" outdir
		[ "$status" = 2 ] || problem "$line (OUT=outdir): exit $status, not 2"
		[[ "$stderr" == "${line%% *}: cannot write 'outdir': Is a directory"* ]] ||
			problem "$line (OUT=outdir): stderr '$stderr'"
		[ -z "$(ls -A outdir)" ] || problem "$line (OUT=outdir): wrote into the directory"
		[ -z "$(find . -maxdepth 1 -name '.outdir.*')" ] || problem "$line (OUT=outdir): left a temporary file"
	done <cases
	assert_no_problems "directories written as files"
}

# --- missing files among several inputs -------------------------------------

@test "a record filter given a missing file among several passes on the others' records, names each missing file and exits 2 at the end" {
	local cmd p
	cat "$D/a.ndjson" "$D/b.ndjson" "$D/c.ndjson" | jq .id >want
	for cmd in "ml-ingest --format ndjson" "ml-split --ratio all=1 -o all=-" "ml-validate -s $D/schema.json" \
		"ml-predict $D/model.bundle"; do
		p=${cmd%% *}
		# shellcheck disable=SC2086
		run --separate-stderr $cmd "$D/a.ndjson" no1.ndjson "$D/b.ndjson" no2.ndjson "$D/c.ndjson"
		[ "$status" = 2 ] || problem "$p: exit $status, not 2"
		[[ "$stderr" == *"$p: cannot open 'no1.ndjson': No such file or directory"* ]] || problem "$p: no1.ndjson not named"
		[[ "$stderr" == *"$p: cannot open 'no2.ndjson': No such file or directory"* ]] || problem "$p: no2.ndjson not named"
		# the others' records, in order (ml-predict: with their predictions)
		[ "$(jq .id <<<"$output")" = "$(cat want)" ] ||
			problem "$p: passed on $(grep -c . <<<"$output") records of the 300 in a, b and c"
	done
	assert_no_problems "record filters that stopped at a missing file"
}

@test "a program that reads many files names every missing one and exits 2; ml-promote register stores the others" {
	local cmd p
	for cmd in "ml-stats -f ndjson $D/a.ndjson no1 $D/b.ndjson no2 $D/c.ndjson" \
		"ml-stats --merge -f ndjson $D/profile.ndjson no1 $D/profile.ndjson no2" \
		"ml-train -t y -a logistic $D/a.ndjson no1 $D/b.ndjson no2 $D/c.ndjson" \
		"ml-eval $D/model.bundle $D/a.ndjson no1 $D/b.ndjson no2 $D/c.ndjson" \
		"ml-report -f text $D/profile.ndjson no1 $D/metrics.ndjson no2 $D/model.bundle" \
		"ml-promote -r reg register $D/model.bundle no1 $D/model2.bundle no2"; do
		p=${cmd%% *}
		# shellcheck disable=SC2086
		run --separate-stderr $cmd
		[ "$status" = 2 ] || problem "$cmd: exit $status, not 2"
		[[ "$stderr" == *"$p: cannot open 'no1': No such file or directory"* ]] || problem "$cmd: no1 not named"
		[[ "$stderr" == *"$p: cannot open 'no2': No such file or directory"* ]] || problem "$cmd: no2 not named"
	done
	assert_equal "$(ml-promote -r reg list -f ndjson | wc -l)" 0
	run --separate-stderr ml-promote -r reg verify
	assert_success
	assert [ -e "reg/objects/$(sha256sum <"$D/model.bundle" | cut -d' ' -f1)" ]
	assert [ -e "reg/objects/$(sha256sum <"$D/model2.bundle" | cut -d' ' -f1)" ]
	assert_no_problems "programs that stopped at the first missing file"
}
