# Shared setup for the bats suites of mlpipe.
#
# Each test runs in its own empty directory (BATS_TEST_TMPDIR) with the
# programs under test first on PATH (ML_BIN, set by tests/run) and the run
# log off unless a test turns it on.

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# Call from each file's setup().
ml_setup() {
	if [ -n "${ML_BIN:-}" ]; then
		case ":$PATH:" in
		"$ML_BIN:"*) ;;
		*) PATH="$ML_BIN:$PATH" ;;
		esac
	fi
	export PATH
	export ML_RUN_LOG=off
	unset ML_HOME ML_PIPELINE_ID
	cd "$BATS_TEST_TMPDIR" || return 1
}

# gen_records N [FIRST]: N records {"id":I,"x":...,"s":"..."} with ids from
# FIRST (default 1), one per line.
gen_records() {
	awk -v n="$1" -v first="${2:-1}" 'BEGIN {
		for (i = first; i < first + n; i++)
			printf "{\"id\":%d,\"x\":%d.%02d,\"s\":\"r%d\"}\n", i, (i * 7919) % 1000, i % 100, i
	}'
}

# nlines FILE: its number of lines (0 for an empty file).
nlines() {
	wc -l <"$1" | tr -d ' '
}

# assert_same_lines A B...: the lines of A, sorted, equal the lines of all
# the other files together, sorted (nothing lost, nothing added).
assert_same_lines() {
	local want=$1
	shift
	sort "$want" >"$BATS_TEST_TMPDIR/.want.sorted"
	cat "$@" | sort >"$BATS_TEST_TMPDIR/.got.sorted"
	if ! cmp -s "$BATS_TEST_TMPDIR/.want.sorted" "$BATS_TEST_TMPDIR/.got.sorted"; then
		diff "$BATS_TEST_TMPDIR/.want.sorted" "$BATS_TEST_TMPDIR/.got.sorted" | head -20 |
			batslib_decorate "lines of $want differ from lines of $*" | fail
		return 1
	fi
	rm -f "$BATS_TEST_TMPDIR/.want.sorted" "$BATS_TEST_TMPDIR/.got.sorted"
}

# assert_bytes_equal A B: the two files are byte for byte the same.
assert_bytes_equal() {
	if ! cmp "$1" "$2" >&2; then
		batslib_print_kv_single_or_multi 8 "expected ($1)" "$(head -c 2000 "$1")" \
			"actual ($2)" "$(head -c 2000 "$2")" |
			batslib_decorate "files differ" | fail
		return 1
	fi
}

# assert_no_temp_files [DIR]: no temporary output (.NAME.XXXXXX) is left.
assert_no_temp_files() {
	local dir=${1:-.} left
	left=$(find "$dir" -maxdepth 1 -name '.*.??????' -type f)
	if [ -n "$left" ]; then
		echo "$left" | batslib_decorate "temporary files left behind" | fail
		return 1
	fi
}

# assert_json_lines FILE: every line of FILE is one whole JSON value.
assert_json_lines() {
	local bad
	bad=$(jq -R '. as $l | try (fromjson | empty)
		catch "line \(input_line_number): not JSON: \($l[0:200])"' "$1" 2>&1)
	if [ -n "$bad" ]; then
		echo "$bad" | head -5 | batslib_decorate "$1 has lines that are not JSON" | fail
		return 1
	fi
	if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" != '\n' ]; then
		fail "$1 does not end with a newline"
	fi
}

# assert_usage_error: the last `run --separate-stderr` exited 2, printed
# nothing on stdout, and its first stderr line starts with "PROG: ".
assert_usage_error() {
	local prog=${1:-ml-split}
	assert_equal "$status" 2
	assert_equal "$output" ""
	if [[ "${stderr_lines[0]:-}" != "$prog: "* ]]; then
		fail "stderr does not start with '$prog: ': ${stderr:-<empty>}"
	fi
}

# sha256_id FILE: "sha256:<hex>" of FILE, as the run log writes it.
sha256_id() {
	echo "sha256:$(sha256sum <"$1" | cut -d' ' -f1)"
}

# as_unprivileged CMD...: runs CMD subject to file permissions even when the
# suite runs as root (the capabilities that bypass them are dropped).
as_unprivileged() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --bounding-set=-dac_override,-dac_read_search -- "$@"
	else
		"$@"
	fi
}
