#!/usr/bin/env bats
# Shell completions: bash completes what each program takes; the zsh and
# fish files load; every option of every program is completed and
# documented.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	COMP=$ROOT/completions
	cd "$BATS_TEST_TMPDIR"
}

# The programs: one per section 1 man page.
programs() {
	local page
	for page in "$ROOT"/man/*.1; do
		basename "$page" .1
	done
}

# Prints, one a line, what bash offers for the command line "$@", whose
# last word is the one completed (give "" to complete a new word).  Runs a
# clean bash that sources the program's completion file and calls the
# function it registered, as bash would on TAB.
bash_complete() {
	bash --norc --noprofile -c '
		source "$1" || exit 2
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		spec=$(complete -p "$1") || exit 2
		fn=${spec#*-F }
		fn=${fn%% *}
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' bash_complete "$COMP/bash/$1" "$@"
}

# The --help text of a program: from the program when it is on PATH, else
# from the usage string in its source (for a program still being written).
help_text() {
	local usage=$ROOT/cmd/$1/usage.h
	if command -v "$1" >/dev/null; then
		"$1" --help
	elif [ -f "$usage" ]; then
		sed -n 's/^"\(.*\)\\n"[;]*$/\1/p' "$usage"
	else
		echo "no --help for $1: not on PATH and no $usage" >&2
		return 1
	fi
}

# The options a --help text defines, one a line: "-o" and "--output" from
# "  -o, --output FILE  ...", "--key" from "      --key FIELD  ...".
help_options() {
	sed -n -e 's/^ \{1,\}\(-[[:alnum:]]\), \(--[[:alnum:]][[:alnum:]-]*\).*/\1\n\2/p' \
		-e 's/^ \{1,\}\(--[[:alnum:]][[:alnum:]-]*\).*/\1/p'
}

@test "bash: ml-split --ra offers --ratio" {
	run bash_complete ml-split --ra
	assert_success
	assert_output --ratio
}

@test "bash: ml-ingest --for offers --format" {
	run bash_complete ml-ingest --for
	assert_success
	assert_output --format
}

@test "bash: ml-ingest --format offers the five formats" {
	run bash_complete ml-ingest --format ""
	assert_success
	assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "csv json libsvm ndjson tsv "
}

@test "bash: --format=VALUE, split at '=' as bash does, offers the formats too" {
	run bash_complete ml-ingest --format = n
	assert_success
	assert_output ndjson
}

@test "bash: ml-split -o offers the parts named by --ratio" {
	# bash splits words at '=': this is "--ratio train=0.8,test=0.2 -o "
	run bash_complete ml-split --ratio train = 0.8,test = 0.2 -o ""
	assert_success
	assert_equal "$(tr '\n' ' ' <<<"$output")" "train= test= "
	run bash_complete ml-split --by ts --cut 2025 --cut 2026 -o ""
	assert_equal "$(tr '\n' ' ' <<<"$output")" "part1= part2= part3= "
}

@test "bash: ml-split -o NAME= completes a file after the '='" {
	mkdir -p out
	run bash_complete ml-split --ratio a=1 -o a = o
	assert_success
	assert_output out
}

@test "bash: ml-split --key offers the fields of the input's first record" {
	printf '\n{"id":1,"ts":"2026-01-01"}\n' > in.ndjson
	run bash_complete ml-split in.ndjson --key ""
	assert_success
	assert_equal "$(tr '\n' ' ' <<<"$output")" "id ts "
}

@test "bash: ml-ingest --fields offers the CSV header's names after a comma" {
	printf 'id,zip,amount\n1,2,3\n' > in.csv
	run bash_complete ml-ingest in.csv --fields id,
	assert_success
	assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "id,amount id,id id,zip "
}

@test "bash: a FILE argument completes file names" {
	touch data.ndjson
	run bash_complete ml-split data
	assert_success
	assert_output data.ndjson
	run bash_complete ml-ingest data
	assert_success
	assert_output data.ndjson
}

@test "every program has a bash, a zsh and a fish completion file" {
	local p missing=
	for p in $(programs); do
		for f in "bash/$p" "zsh/_$p" "fish/$p.fish"; do
			[ -f "$COMP/$f" ] || missing="$missing completions/$f"
		done
	done
	assert_equal "$missing" ""
}

@test "bash completion files parse" {
	local p
	for p in $(programs); do
		run bash -n "$COMP/bash/$p"
		assert_success
	done
}

@test "zsh completion files parse and register their command" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	local p
	for p in $(programs); do
		run zsh -n "$COMP/zsh/_$p"
		assert_success
		assert_output ""
		run head -n 1 "$COMP/zsh/_$p"
		assert_output "#compdef $p"
	done
	run zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -d "$2"
		print -r -- $_comps[ml-ingest] $_comps[ml-split]' zsh "$COMP/zsh" "$BATS_TEST_TMPDIR/zcompdump"
	assert_success
	assert_output "_ml-ingest _ml-split"
}

@test "fish completion files parse and complete --format" {
	command -v fish >/dev/null || skip "fish is not installed"
	local p
	export HOME=$BATS_TEST_TMPDIR XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config XDG_DATA_HOME=$BATS_TEST_TMPDIR/data
	for p in $(programs); do
		run fish -n "$COMP/fish/$p.fish"
		assert_success
		assert_output ""
	done
	run fish -N -c 'source $argv[1]; complete -C "ml-ingest --format "' "$COMP/fish/ml-ingest.fish"
	assert_success
	assert_equal "$(cut -f1 <<<"$output" | sort | tr '\n' ' ')" "csv json libsvm ndjson tsv "
}

@test "every option in each program's --help is offered by its bash completion" {
	local p o offered missing=
	for p in $(programs); do
		offered=$(bash_complete "$p" -) || fail "bash completion of $p failed"
		for o in $(help_text "$p" | help_options); do
			grep -qxF -- "$o" <<<"$offered" || missing="$missing $p:$o"
		done
	done
	assert_equal "$missing" ""
}

@test "every option in each program's --help is completed by fish" {
	command -v fish >/dev/null || skip "fish is not installed"
	local p o offered missing=
	export HOME=$BATS_TEST_TMPDIR XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config XDG_DATA_HOME=$BATS_TEST_TMPDIR/data
	for p in $(programs); do
		offered=$(fish -N -c 'source $argv[1]; complete -C "$argv[2] -"' \
			"$COMP/fish/$p.fish" "$p" | cut -f1)
		for o in $(help_text "$p" | help_options); do
			grep -qxF -- "$o" <<<"$offered" || missing="$missing $p:$o"
		done
	done
	assert_equal "$missing" ""
}

@test "every option in each program's --help is in the zsh completion" {
	local p o missing=
	for p in $(programs); do
		for o in $(help_text "$p" | help_options); do
			grep -qE -- "(^|[^[:alnum:]-])$o([^[:alnum:]-]|\$)" "$COMP/zsh/_$p" ||
				missing="$missing $p:$o"
		done
	done
	assert_equal "$missing" ""
}

@test "every option in each program's --help is in its man page" {
	local p o text missing=
	for p in $(programs); do
		text=$(mandoc -T ascii "$ROOT/man/$p.1" | col -b) || fail "mandoc failed on $p.1"
		for o in $(help_text "$p" | help_options); do
			grep -qE -- "(^|[^[:alnum:]-])$o([^[:alnum:]-]|\$)" <<<"$text" ||
				missing="$missing $p:$o"
		done
	done
	assert_equal "$missing" ""
}

@test "every option in each program's --help has an entry in its man page's list" {
	local p o fl missing=
	for p in $(programs); do
		for o in $(help_text "$p" | help_options); do
			fl="Fl ${o#-}"
			grep -E -- '^\.It ' "$ROOT/man/$p.1" | grep -qE -- "$fl([^[:alnum:]-]|\$)" ||
				missing="$missing $p:$o"
		done
	done
	assert_equal "$missing" ""
}

@test "the options are read from each --help (the checks above are not vacuous)" {
	run help_text ml-split
	assert_success
	run help_options <<<"$output"
	assert_line --ratio
	assert_line -o
	assert_line --output
	assert_line --no-run-log
	run help_text ml-ingest
	assert_success
	run help_options <<<"$output"
	assert_line --format
	assert_line -d
	assert_line --delimiter
	assert_line --add-source
}
