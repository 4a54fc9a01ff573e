#!/usr/bin/env bats
# Man pages: lint-clean mdoc, the sections every page has, a page per
# program, and an overview page that lists them all.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	command -v mandoc >/dev/null || fail "mandoc is not installed (make deps installs it)"
}

@test "there are man pages: one per program and the overview" {
	run ls "$ROOT/man"
	assert_success
	assert_line ml-ingest.1
	assert_line ml-split.1
	assert_line ml-stats.1
	assert_line ml-drift.1
	assert_line ml-validate.1
	assert_line ml-train.1
	assert_line ml-predict.1
	assert_line ml-eval.1
	assert_line ml-promote.1
	assert_line ml-log.1
	assert_line ml-report.1
	assert_line mlpipe.7
}

@test "mandoc -T lint -W warning is clean for every page" {
	local page
	for page in "$ROOT"/man/*.[1-9]; do
		run mandoc -T lint -W warning "$page"
		assert_success
		assert_output ""
	done
}

@test "every page has NAME, SYNOPSIS, DESCRIPTION, EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES, SEE ALSO" {
	local page s missing=
	for page in "$ROOT"/man/*.[1-9]; do
		for s in NAME SYNOPSIS DESCRIPTION 'EXIT STATUS' ENVIRONMENT FILES EXAMPLES 'SEE ALSO'; do
			grep -qxF ".Sh $s" "$page" || missing="$missing $(basename "$page"):$s"
		done
	done
	assert_equal "$missing" ""
}

@test "every program in cmd/ has a section 1 page" {
	local d missing=
	for d in "$ROOT"/cmd/ml-*; do
		[ -e "$d" ] || continue
		d=$(basename "$d" .c)
		[ -f "$ROOT/man/$d.1" ] || missing="$missing $d"
	done
	assert_equal "$missing" ""
}

@test "the overview lists every section 1 page, and every page points to it" {
	local page p missing=
	for page in "$ROOT"/man/*.1; do
		p=$(basename "$page" .1)
		grep -qxF ".It Xr $p 1" "$ROOT/man/mlpipe.7" || missing="$missing mlpipe.7:$p"
		grep -qE '^\.Xr mlpipe 7' "$page" || missing="$missing $p.1:mlpipe(7)"
	done
	assert_equal "$missing" ""
}

@test "the overview calls no program planned that has a page" {
	local page p text
	text=$(mandoc -T ascii "$ROOT/man/mlpipe.7" | col -b)
	for page in "$ROOT"/man/*.1; do
		p=$(basename "$page" .1)
		if grep -qE "^[[:space:]]+$p(\(1\))?[[:space:]]+\(planned\)" <<<"$text"; then
			fail "mlpipe(7) lists $p as planned, but it has a page"
		fi
	done
}

@test "the overview documents the formats ml-report reads" {
	local f text
	text=$(mandoc -T ascii "$ROOT/man/mlpipe.7" | col -b)
	for f in mlpipe.profile mlpipe.drift mlpipe.metrics mlpipe.curves mlpipe.bundle \
		mlpipe.registry.event mlpipe.run mlpipe.lineage ml-report; do
		grep -qF -- "$f" <<<"$text" || fail "mlpipe(7) does not mention $f"
	done
}

@test "the overview documents the run log's fields and environment" {
	local f text
	text=$(mandoc -T ascii "$ROOT/man/mlpipe.7" | col -b)
	for f in format version run_id tool mlpipe_version argv cwd user host pipeline_id \
		start end duration_s exit inputs outputs params counters \
		ML_RUN_LOG ML_HOME ML_PIPELINE_ID .ml/runs.ndjson; do
		grep -qE -- "(^|[^[:alnum:]_])$f([^[:alnum:]_]|\$)" <<<"$text" ||
			fail "mlpipe(7) does not mention $f"
	done
}

@test "every page renders as text and as HTML" {
	local page
	for page in "$ROOT"/man/*.[1-9]; do
		run mandoc -T utf8 "$page"
		assert_success
		run mandoc -T html "$page"
		assert_success
	done
}
