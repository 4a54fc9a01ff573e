#!/usr/bin/env bats
# make install puts programs, pages and completions where a system looks.

load helper

setup() {
	ml_setup
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	STAGE=$BATS_TEST_TMPDIR/stage
}

@test "make install into a DESTDIR installs every program, page and completion" {
	run make -s -C "$ROOT" install DESTDIR="$STAGE" PREFIX=/usr
	assert_success
	for p in ml-ingest ml-split; do
		[ -x "$STAGE/usr/bin/$p" ]
		[ -f "$STAGE/usr/share/man/man1/$p.1" ]
		[ -f "$STAGE/usr/share/bash-completion/completions/$p" ]
		[ -f "$STAGE/usr/share/zsh/vendor-completions/_$p" ]
		[ -f "$STAGE/usr/share/fish/vendor_completions.d/$p.fish" ]
	done
	[ -f "$STAGE/usr/share/man/man7/mlpipe.7" ]
}

@test "the installed programs run and turn a CSV into records" {
	make -s -C "$ROOT" install DESTDIR="$STAGE" PREFIX=/usr
	run "$STAGE/usr/bin/ml-ingest" --version
	assert_success
	assert_output --partial "ml-ingest (mlpipe)"
	printf 'id,x\n1,a\n2,b\n' > in.csv
	run sh -c "'$STAGE/usr/bin/ml-ingest' in.csv | '$STAGE/usr/bin/ml-split' --ratio all=1 --tag part"
	assert_success
	assert_output $'{"id":1,"x":"a","part":"all"}\n{"id":2,"x":"b","part":"all"}'
}

@test "the installed man pages render" {
	make -s -C "$ROOT" install DESTDIR="$STAGE" PREFIX=/usr
	run mandoc -T utf8 "$STAGE/usr/share/man/man1/ml-ingest.1"
	assert_success
	assert_output --partial "ml-ingest"
}
