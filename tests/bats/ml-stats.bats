#!/usr/bin/env bats
# ml-stats: profiles checked against NumPy, merges against the whole, every
# option, every bad input.  The reference is fixtures/stats/reference.py,
# run with Debian's python3 (NumPy), reading the records with Python's json.

load helper

setup_file() {
	# 200,000 records of every kind (see reference.py gen-data), made once
	reference gen-data 200000 1 >"$BATS_FILE_TMPDIR/data.ndjson"
}

setup() {
	ml_setup
	DATA=$BATS_FILE_TMPDIR/data.ndjson
}

reference() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/stats/reference.py" "$@"
}

# assert_reference CHECK ARGS...: the reference finds nothing wrong (what it
# finds is shown).
assert_reference() {
	run reference "$@"
	assert_success
	assert_output ""
}

# column_of PROFILE NAME: the line of column NAME.
column_of() {
	jq -c --arg c "$2" 'select(.column == $c)' "$1"
}

# dataset PROFILE: its first line.
dataset() {
	head -1 "$1"
}

# assert_fails_with PATTERN: the last `run --separate-stderr` exited 2 with
# nothing on stdout and one line on stderr matching PATTERN.
assert_fails_with() {
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" "$1"
}

# --- numbers against NumPy -----------------------------------------------------

@test "count, mean, std, variance, min, max, sum, zeros and negatives equal NumPy's to 1e-9" {
	ml-stats "$DATA" >data.prof
	assert_json_lines data.prof
	assert_reference moments "$DATA" data.prof normal lognormal int offset pareto cauchy const
}

@test "values far from zero with a small spread (1e9 + noise) keep their variance to 1e-9" {
	# E[x^2] - E[x]^2 would lose every digit here
	reference gen-offsets 200000 1 >off.ndjson
	ml-stats off.ndjson >off.prof
	assert_reference moments off.ndjson off.prof o1 o01 o12 neg
}

@test "quantiles p1..p99 are within 0.5% of n in rank on skewed, heavy-tailed and constant columns" {
	ml-stats "$DATA" >data.prof
	assert_reference quantiles "$DATA" data.prof lognormal pareto cauchy const normal int offset
	# a constant column's quantiles are the constant
	assert_equal "$(column_of data.prof const | jq -c '[.number.quantiles[]] | unique')" "[7]"
}

@test "the histogram's counts add up to the count, its edges go from min to max, and each edge's count is its rank" {
	ml-stats "$DATA" >data.prof
	assert_reference histogram "$DATA" data.prof 20 normal lognormal int pareto cauchy const offset
	# a constant column has one bin holding everything
	assert_equal "$(column_of data.prof const | jq -c .number.histogram)" '{"edges":[7,7],"counts":[200000]}'
}

@test "numbers too large for a double count as non-finite and stay out of the moments" {
	printf '{"x":1e400}\n{"x":-1e400}\n{"x":2}\n{"x":4}\n' >in.ndjson
	ml-stats in.ndjson >p.prof
	run jq -c '.number | [.count, .nonfinite, .mean, .variance, .min, .max, .sum, .negatives]' <(column_of p.prof x)
	assert_output "[2,2,3,2,2,4,6,0]"
	assert_equal "$(column_of p.prof x | jq -c .types.number)" 4
}

@test "numbers read as the doubles Python reads, in every form JSON writes them" {
	# short decimals, long ones, past 2^53, -0, exponents, leading zeros after the point
	printf '{"x":%s}\n' 0.1 0.2 -0.0 1.5E+2 9007199254740993 0.000001234 1234567.8901234567 \
		-12345678901234567890 1e-7 0.30000000000000004 -7 123456789012345678 0.1234567890123456789 \
		2.5e-3 -0 100 >in.ndjson
	ml-stats in.ndjson >p.prof
	# 16 values stay in the sketch's level 0 as they were read, written to read back
	run /usr/bin/python3 -c '
import json, sys
def read(l):
    return json.loads(l, parse_int=float)
def order(v):
    return (v, repr(v))
want = sorted((read(l)["x"] for l in open(sys.argv[1])), key=order)
col = [read(l) for l in open(sys.argv[2])][1]
got = sorted(col["number"]["sketch"]["levels"][0], key=order)
if list(map(repr, got)) != list(map(repr, want)):
    print(got, want)' in.ndjson p.prof
	assert_success
	assert_output ""
}

# --- strings and booleans ------------------------------------------------------

@test "below 10,000 distinct values, distinct, top values and lengths in characters equal Python's" {
	ml-stats "$DATA" >data.prof
	# the top holds ties (alpha/zeta 9000 each), 1- to 4-byte UTF-8 and escaped values
	assert_reference strings-exact "$DATA" data.prof 10 word
	assert_equal "$(column_of data.prof word | jq -c '[.string.top[0:6][] | .value]')" \
		'["alpha","zeta","émile","日本","Zed","😀"]'
	# a \u escape counts as the character it stands for
	assert_equal "$(column_of data.prof word | jq '.string.top[] | select(.value == "😀") | .count')" 5000
}

@test "above 10,000 distinct values, distinct is within 2% and top counts within their stated error" {
	ml-stats "$DATA" >data.prof
	assert_reference strings-estimated "$DATA" data.prof many
	assert_equal "$(column_of data.prof many | jq .string.distinct_exact)" false
}

@test "string lengths are counted in characters, not bytes" {
	printf '{"s":"a"}\n{"s":"é"}\n{"s":"日本語"}\n{"s":"😀😀"}\n{"s":"\\u00e9\\ud83d\\ude00"}\n{"s":""}\n' >in.ndjson
	ml-stats in.ndjson >p.prof
	assert_equal "$(column_of p.prof s | jq -c .string.length)" '{"min":0,"mean":1.5,"max":3,"sum":9}'
}

@test "booleans are counted as true and false" {
	printf '{"b":true}\n{"b":false}\n{"b":true}\n{"b":null}\n{}\n' >in.ndjson
	ml-stats in.ndjson >p.prof
	assert_equal "$(column_of p.prof b | jq -c '[.boolean, .types.boolean, .present, .missing]')" \
		'[{"true":2,"false":1},3,3,2]'
	ml-stats "$DATA" >data.prof
	assert_equal "$(column_of data.prof flag | jq -c .boolean)" \
		"{\"true\":$(grep -c '"flag":true' "$DATA"),\"false\":$(grep -c '"flag":false' "$DATA")}"
}

# --- missing values and types --------------------------------------------------

@test "null and an absent field both count as missing" {
	ml-stats "$DATA" >data.prof
	# word: 8 in 10 present, 1 null, 1 absent
	assert_equal "$(column_of data.prof word | jq -c '[.records, .present, .missing, .types.null]')" \
		"[200000,160000,40000,20000]"
}

@test "a column first seen late is missing from the records before it" {
	gen_records 1000 >in.ndjson
	gen_records 500 1001 | sed 's/}$/,"late":1.5}/' >>in.ndjson
	ml-stats in.ndjson >p.prof
	assert_equal "$(jq -r .column p.prof | tail -n +2 | tr '\n' ' ')" "id x s late "
	assert_equal "$(column_of p.prof late | jq -c '[.records, .present, .missing, .number.count]')" "[1500,500,1000,500]"
}

@test "a column of mixed types is counted per type, not refused" {
	{
		for i in 1 2 3; do echo "{\"v\":$i}"; done
		printf '{"v":"a"}\n{"v":"b"}\n{"v":true}\n{"v":null}\n{"v":[1,2]}\n{"v":{"k":1}}\n{"w":0}\n'
	} >in.ndjson
	run --separate-stderr ml-stats in.ndjson
	assert_success
	assert_equal "$stderr" ""
	echo "$output" >p.prof
	assert_equal "$(column_of p.prof v | jq -c '[.types, .present, .missing]')" \
		'[{"null":1,"boolean":1,"number":3,"string":2,"array":1,"object":1},8,2]'
	assert_equal "$(column_of p.prof v | jq -c '[.number.count, .number.mean, .string.count, .boolean]')" \
		'[3,2,2,{"true":1,"false":0}]'
	run ml-stats -f text in.ndjson
	assert_line --regexp '^v +mixed '
}

@test "a key twice in one record counts once, as jq reads the record" {
	printf '{"a":1,"a":2}\n{"a":3}\n' >in.ndjson
	jq -c . in.ndjson >jq.ndjson
	ml-stats in.ndjson | tail -n +2 >dup.columns
	ml-stats jq.ndjson | tail -n +2 >jq.columns
	assert_equal "$(jq -c '[.present, .missing]' dup.columns)" "[2,0]"
	assert_bytes_equal jq.columns dup.columns
}

# --- merging -------------------------------------------------------------------

# shards FILE: s1 s2 s3 of FILE, uneven, and their profiles s1.prof...
shards() {
	head -n 120000 "$1" >s1
	sed -n '120001,120500p' "$1" >s2
	tail -n +120501 "$1" >s3
	for s in s1 s2 s3; do ml-stats $s >$s.prof; done
}

@test "the merge of shard profiles equals the profile of the whole" {
	shards "$DATA"
	ml-stats "$DATA" >whole.prof
	ml-stats --merge s1.prof s2.prof s3.prof >merged.prof
	assert_json_lines merged.prof
	assert_reference merged whole.prof merged.prof "$DATA"
}

@test "merging from one stream, from files and in steps gives the same profile" {
	shards "$DATA"
	ml-stats "$DATA" >whole.prof
	ml-stats --merge s1.prof s2.prof s3.prof >files.prof
	cat s1.prof s2.prof s3.prof | ml-stats --merge >stream.prof
	assert_bytes_equal files.prof stream.prof
	ml-stats --merge s1.prof - s3.prof <s2.prof >mixed.prof
	assert_bytes_equal files.prof mixed.prof
	# (a b) c and a (b c): equal within the bounds, whatever their bytes
	ml-stats --merge s1.prof s2.prof | ml-stats --merge - s3.prof >left.prof
	ml-stats --merge s2.prof s3.prof | ml-stats --merge s1.prof - >right.prof
	assert_reference merged whole.prof left.prof "$DATA"
	assert_reference merged whole.prof right.prof "$DATA"
}

@test "shard profiles written one after another into a pipe, as parallel does, merge like the files" {
	shards "$DATA"
	(ml-stats s1; ml-stats s2; ml-stats s3) | ml-stats --merge >piped.prof
	ml-stats --merge s1.prof s2.prof s3.prof >files.prof
	assert_bytes_equal files.prof piped.prof
}

@test "a column only some shards have is missing from the others after the merge" {
	gen_records 300 >a.ndjson
	gen_records 200 301 | sed 's/}$/,"late":true}/' >b.ndjson
	cat a.ndjson b.ndjson >all.ndjson
	ml-stats a.ndjson >a.prof
	ml-stats b.ndjson >b.prof
	ml-stats all.ndjson >whole.prof
	ml-stats --merge a.prof b.prof >merged.prof
	assert_equal "$(column_of merged.prof late | jq -c '[.records, .present, .missing, .boolean.true]')" "[500,200,300,200]"
	assert_reference merged whole.prof merged.prof all.ndjson
}

@test "merging a single profile gives it back byte for byte" {
	ml-stats "$DATA" >data.prof
	ml-stats --merge data.prof >again.prof
	assert_bytes_equal data.prof again.prof
	# and a merged one, with several sources
	shards "$DATA"
	ml-stats --merge s1.prof s2.prof s3.prof >merged.prof
	ml-stats --merge <merged.prof >again.prof
	assert_bytes_equal merged.prof again.prof
	# and one with odd values and types
	printf '{"x":1e400,"s":"a\\u0000b","n":null,"o":{"k":[1]}}\n{"x":-0.0,"s":"\\"q\\\\","b":false}\n' >odd.ndjson
	ml-stats odd.ndjson >odd.prof
	ml-stats --merge odd.prof >again.prof
	assert_bytes_equal odd.prof again.prof
}

@test "the merged profile lists every input's sha256 and adds up their bytes" {
	gen_records 100 >a.ndjson
	gen_records 50 101 >b.ndjson
	ml-stats a.ndjson >a.prof
	ml-stats b.ndjson >b.prof
	ml-stats --merge a.prof b.prof >m.prof
	assert_equal "$(dataset m.prof | jq -c '[.sources, .source, .records, .bytes]')" \
		"[[\"$(sha256_id a.ndjson)\",\"$(sha256_id b.ndjson)\"],null,150,$(($(wc -c <a.ndjson) + $(wc -c <b.ndjson)))]"
	# two inputs of one run are listed the same way
	ml-stats a.ndjson b.ndjson >both.prof
	assert_equal "$(dataset both.prof)" "$(dataset m.prof)"
}

# --- determinism and identity --------------------------------------------------

@test "the same input gives byte-identical profiles, from a file, stdin or a pipe" {
	ml-stats "$DATA" >1.prof
	ml-stats "$DATA" >2.prof
	ml-stats <"$DATA" >3.prof
	# shellcheck disable=SC2002 # a pipe, not a file
	cat "$DATA" | ml-stats >4.prof
	assert_bytes_equal 1.prof 2.prof
	assert_bytes_equal 1.prof 3.prof
	assert_bytes_equal 1.prof 4.prof
}

@test "the dataset line names the input by sha256 and gives its size" {
	gen_records 1000 >in.ndjson
	ml-stats in.ndjson >p.prof
	assert_equal "$(dataset p.prof | jq -c .)" \
		"{\"format\":\"mlpipe.profile\",\"version\":1,\"records\":1000,\"columns\":3,\"bytes\":$(wc -c <in.ndjson),\"source\":\"$(sha256_id in.ndjson)\",\"sources\":[\"$(sha256_id in.ndjson)\"]}"
}

@test "blank lines are skipped and CRLF line ends read like LF" {
	gen_records 200 >lf.ndjson
	{ gen_records 100 | sed 's/$/\r/'; echo; gen_records 100 101; } >crlf.ndjson
	ml-stats lf.ndjson | tail -n +2 >lf.columns
	ml-stats crlf.ndjson | tail -n +2 >crlf.columns
	assert_bytes_equal lf.columns crlf.columns
}

# --- options -------------------------------------------------------------------

@test "--columns profiles only the columns listed" {
	ml-stats --columns word,normal,nosuch "$DATA" >p.prof
	assert_json_lines p.prof
	assert_equal "$(dataset p.prof | jq -c '[.records, .columns]')" "[200000,2]"
	assert_equal "$(jq -r 'select(.column) | .column' p.prof | tr '\n' ' ')" "normal word "
	# the same lines as in the full profile
	ml-stats "$DATA" >all.prof
	assert_equal "$(column_of p.prof normal)" "$(column_of all.prof normal)"
	# and when merging
	ml-stats --merge --columns flag all.prof >m.prof
	assert_equal "$(jq -r 'select(.column) | .column' m.prof)" "flag"
	assert_equal "$(dataset m.prof | jq .columns)" 1
}

@test "--exclude leaves the columns listed out" {
	ml-stats --exclude word,many,cauchy "$DATA" >p.prof
	assert_equal "$(jq -r 'select(.column) | .column' p.prof | tr '\n' ' ')" "normal lognormal int offset pareto const flag "
	assert_equal "$(dataset p.prof | jq .columns)" 7
}

@test "--top K lists the K most frequent values" {
	ml-stats "$DATA" >ten.prof
	ml-stats --top 3 "$DATA" >three.prof
	assert_equal "$(column_of three.prof word | jq '.string.top | length')" 3
	assert_equal "$(column_of three.prof word | jq -c '.string.top')" "$(column_of ten.prof word | jq -c '.string.top[0:3]')"
	assert_equal "$(column_of ten.prof word | jq '.string.top | length')" 10
	ml-stats --top 40 "$DATA" >forty.prof
	assert_reference strings-exact "$DATA" forty.prof 40 word
}

@test "--bins N gives histograms of N bins" {
	ml-stats --bins 7 "$DATA" >p.prof
	assert_reference histogram "$DATA" p.prof 7 normal lognormal int cauchy
	ml-stats --bins 1 "$DATA" >p.prof
	assert_equal "$(column_of p.prof int | jq -c .number.histogram)" '{"edges":[-5,5],"counts":[200000]}'
}

@test "-f text prints a header and one row per column, with a bar chart of each numeric column" {
	ml-stats -f text "$DATA" >p.txt
	assert_equal "$(head -1 p.txt)" "200000 records, 10 columns"
	run grep -c . p.txt
	assert_output 12	# the count line, the header, 10 columns
	assert_regex "$(sed -n 3p p.txt)" '^column +type +missing +mean +std +min +median +max +distribution$'
	for c in normal lognormal int offset pareto cauchy const; do
		assert_regex "$(grep "^$c " p.txt)" "^$c +number +0\.0% .*(▁|▂|▃|▄|▅|▆|▇|█)"
	done
	assert_regex "$(grep '^word ' p.txt)" '^word +string +20\.0% +3[0-9]{3} distinct: alpha 5\.6%, zeta 5\.6%'
	assert_regex "$(grep '^many ' p.txt)" '~[0-9]+ distinct: hot0'
	assert_regex "$(grep '^flag ' p.txt)" 'boolean .*true 50\.0%, false 50\.0%'
	# the columns left out are not counted
	run ml-stats -f text --columns word,flag "$DATA"
	assert_line --index 0 "200000 records, 2 columns"
}

@test "-f text keeps one row per column whatever the names and values hold" {
	printf '{"a\\nb":"x\\ny","日本語の長い名前の列がここにありますよまだまだ続く":"😀"}\n' >in.ndjson
	ml-stats -f text in.ndjson >p.txt
	assert_equal "$(nlines p.txt)" 5
	iconv -f UTF-8 -t UTF-8 p.txt >/dev/null
}

@test "ml-stats(1) lists the fields of the dataset line, a column line and its number and string objects in the order they are written" {
	printf '{"x":1.5,"s":"a"}\n{"x":2,"s":"b"}\n' | ml-stats -f ndjson >p.ndjson
	# the page's field names (.It Va a , Va b), in the order it lists them
	sed -n 's/^\.It Va //p' "$BATS_TEST_DIRNAME/../../man/ml-stats.1" | sed 's/ *, *\(Va \)*/\n/g' >page.fields
	jq -c 'keys_unsorted, (.number // empty | keys_unsorted), (.string // empty | keys_unsorted)' p.ndjson |
		/usr/bin/python3 -c '
import json, sys
page = open("page.fields").read().split()
for line in sys.stdin:
    keys, at = json.loads(line), 0
    for k in keys:
        try:
            at = page.index(k, at) + 1
        except ValueError:
            sys.exit("the page does not list %s after %s (written: %s)" % (k, page[at - 1], keys))
'
}

@test "-f text shows a statistic that does not exist as -, where the profile has null" {
	printf '{"a":5,"m":1}\n{"m":"x"}\n' >in.ndjson
	assert_equal "$(ml-stats -f ndjson in.ndjson | jq -c 'select(.column) | .number.std')" "$(printf 'null\nnull')"
	ml-stats -f text in.ndjson >p.txt
	assert_regex "$(grep '^a ' p.txt)" '^a +number +50\.0% +5 +- +5 +5 +5 '
	assert_regex "$(grep '^m ' p.txt)" '^m +mixed +0\.0% +1 +- +1 +1 +1 '
	run grep -ci nan p.txt
	assert_output 0
}

@test "the output is NDJSON when it is not a terminal, text when it is, as -f says otherwise" {
	gen_records 100 >in.ndjson
	ml-stats in.ndjson >default.out
	ml-stats -f ndjson in.ndjson >ndjson.out
	assert_bytes_equal ndjson.out default.out
	assert_json_lines default.out
	script -qec "ml-stats in.ndjson" /dev/null | tr -d '\r' >tty.out
	assert_equal "$(head -1 tty.out)" "100 records, 3 columns"
	script -qec "ml-stats -f ndjson in.ndjson" /dev/null | tr -d '\r' >tty.out
	assert_bytes_equal ndjson.out tty.out
}

@test "-o FILE writes the profile there and nothing to stdout" {
	gen_records 100 >in.ndjson
	run --separate-stderr ml-stats -o p.prof in.ndjson
	assert_success
	assert_equal "$output" ""
	ml-stats in.ndjson >stdout.prof
	assert_bytes_equal stdout.prof p.prof
	ml-stats --merge -o m.prof p.prof
	assert_bytes_equal stdout.prof m.prof
	assert_no_temp_files
}

@test "-o FILE is left as it was when the run fails" {
	echo previous >p.prof
	cp p.prof before
	{ gen_records 100; echo '{"id": oops}'; } >bad.ndjson
	run --separate-stderr ml-stats -o p.prof bad.ndjson
	assert_equal "$status" 2
	assert_bytes_equal before p.prof
	head -c 100 before >cut.prof
	run --separate-stderr ml-stats --merge -o p.prof cut.prof
	assert_equal "$status" 2
	assert_bytes_equal before p.prof
	assert_no_temp_files
}

@test "--help describes the options and --version names the program" {
	run --separate-stderr ml-stats --help
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --regexp '^Usage: ml-stats '
	for opt in --merge --columns --exclude --top --bins --output-format --output; do
		assert_output --partial -- "$opt"
	done
	run --separate-stderr ml-stats --version
	assert_success
	assert_output --regexp '^ml-stats \(mlpipe\) [0-9]+\.[0-9]+'
}

@test "bad usage exits 2 with a message and writes nothing" {
	gen_records 10 >in.ndjson
	for args in "--top x" "--top 0" "--top -1" "--bins 0" "--bins 10001" "--bins 2.5" "-f csv" \
		"--output-format" "--columns" "--nope" "-Z"; do
		# shellcheck disable=SC2086
		run --separate-stderr ml-stats in.ndjson $args
		assert_usage_error ml-stats
	done
}

# --- bad input -----------------------------------------------------------------

@test "a malformed record exits 2 naming its file and line" {
	{ gen_records 2; echo '{"id": oops}'; gen_records 2 3; } >bad.ndjson
	run --separate-stderr ml-stats bad.ndjson
	assert_fails_with '^ml-stats: bad\.ndjson:3: '
	run --separate-stderr ml-stats <bad.ndjson
	assert_fails_with '^ml-stats: <stdin>:3: '
	# a line that is JSON but not an object
	{ gen_records 4; echo '[1,2]'; } >array.ndjson
	run --separate-stderr ml-stats array.ndjson
	assert_fails_with '^ml-stats: array\.ndjson:5: '
}

@test "--merge refuses a profile of another format or version" {
	gen_records 10 >in.ndjson
	ml-stats in.ndjson >p.prof
	sed '1s/"mlpipe.profile"/"mlpipe.schema"/' p.prof >other.prof
	run --separate-stderr ml-stats --merge other.prof
	assert_fails_with '^ml-stats: other\.prof:1: not an mlpipe profile'
	sed '1s/"version":1/"version":2/' p.prof >v2.prof
	run --separate-stderr ml-stats --merge v2.prof
	assert_fails_with '^ml-stats: v2\.prof:1: profile version 2 is not'
	sed '1s/"version":1/"version":"1"/' p.prof >vs.prof
	run --separate-stderr ml-stats --merge vs.prof
	assert_fails_with '^ml-stats: vs\.prof:1: .*version'
}

@test "--merge refuses a truncated profile, cut at a line or inside one" {
	gen_records 10 >in.ndjson
	ml-stats in.ndjson >p.prof
	head -n 3 p.prof >lines.prof
	run --separate-stderr ml-stats --merge lines.prof
	assert_fails_with '^ml-stats: lines\.prof: .*1 column line early \(truncated'
	run --separate-stderr ml-stats --merge <lines.prof
	assert_fails_with '^ml-stats: <stdin>: .*truncated'
	# followed by another profile
	cat lines.prof p.prof >two.prof
	run --separate-stderr ml-stats --merge two.prof
	assert_fails_with '^ml-stats: two\.prof:4: .*truncated'
	# a column line missing from the middle
	sed 2d p.prof >middle.prof
	run --separate-stderr ml-stats --merge middle.prof
	assert_fails_with '^ml-stats: middle\.prof: .*truncated'
	# a line cut in the middle
	head -c "$(($(head -n 2 p.prof | wc -c) + 40))" p.prof >cut.prof
	run --separate-stderr ml-stats --merge cut.prof
	assert_fails_with '^ml-stats: cut\.prof:3: malformed profile line'
}

@test "--merge refuses records that are not a profile" {
	gen_records 10 >in.ndjson
	run --separate-stderr ml-stats --merge in.ndjson
	assert_fails_with "^ml-stats: in\.ndjson:1: not an mlpipe profile"
	echo '{"id": oops}' >bad.ndjson
	run --separate-stderr ml-stats --merge bad.ndjson
	assert_fails_with "^ml-stats: bad\.ndjson:1: malformed profile line"
}

@test "--merge refuses a profile whose counts contradict each other, and does not crash on one" {
	printf '{"a":1,"s":"x","b":true}\n{"a":2}\n' >in.ndjson
	ml-stats in.ndjson >p.prof
	# COLUMN:LINE:CHANGE
	for change in 'a:2:del(.types)' 'a:2:.types = 5' 'a:2:.types.number = 7' 'a:2:del(.number)' \
		'a:2:.number = 3' 'a:2:.number.count = 5' 'a:2:del(.number.sketch)' 'a:2:.types.null = 3' \
		's:3:.string = []' 's:3:del(.string.counts)' 's:3:.types.string = 0' \
		'b:4:.boolean = []' 'b:4:.boolean.true = 9' 'b:4:del(.types.boolean)'; do
		local col=${change%%:*} rest=${change#*:}
		jq -c --arg c "$col" "if .column == \$c then ${rest#*:} else . end" p.prof >bad.prof
		run --separate-stderr ml-stats --merge bad.prof
		assert_fails_with "^ml-stats: bad\.prof:${rest%%:*}: column '$col'"
	done
	# the same column twice
	{ cat p.prof; tail -1 p.prof; } | jq -c 'if .format then .columns += 1 else . end' >twice.prof
	run --separate-stderr ml-stats --merge twice.prof
	assert_fails_with "^ml-stats: twice\.prof:5: column 'b' twice"
}

@test "empty input gives a profile of 0 records and 0 columns, which merges" {
	: >empty.ndjson
	run --separate-stderr ml-stats empty.ndjson
	assert_success
	echo "$output" >empty.prof
	assert_json_lines empty.prof
	assert_equal "$(nlines empty.prof)" 1
	assert_equal "$(jq -c '[.records, .columns, .bytes, .source]' empty.prof)" "[0,0,0,\"$(sha256_id empty.ndjson)\"]"
	ml-stats --merge empty.prof >again.prof
	assert_bytes_equal empty.prof again.prof
	# merged with another, it adds nothing but its source
	gen_records 10 >in.ndjson
	ml-stats in.ndjson >in.prof
	ml-stats --merge empty.prof in.prof >m.prof
	assert_equal "$(tail -n +2 m.prof)" "$(tail -n +2 in.prof)"
	assert_equal "$(dataset m.prof | jq -c '[.records, .columns, .sources | length]')" "[10,3,2]"
}

@test "--merge refuses an input that holds no profile, as an empty file left by a failed run, naming it" {
	gen_records 10 >in.ndjson
	ml-stats in.ndjson >in.prof
	: >failed.prof
	run --separate-stderr ml-stats --merge in.prof failed.prof
	assert_fails_with '^ml-stats: failed\.prof: holds no profile'
	printf '\n\n' >blank.prof
	run --separate-stderr ml-stats --merge blank.prof
	assert_fails_with '^ml-stats: blank\.prof: holds no profile'
	run --separate-stderr ml-stats --merge </dev/null
	assert_fails_with '^ml-stats: <stdin>: holds no profile'
}

# --- JSON and the run log ------------------------------------------------------

@test "names and values with quotes, backslashes, control characters and non-ASCII come out as valid JSON, unchanged" {
	printf '{"we\\"ird\\\\na\\tme":"v\\"1\\\\\\n","\\u00e9":"\\u0001x","😀":"\\u2028"}\n' >in.ndjson
	ml-stats in.ndjson >p.prof
	assert_json_lines p.prof
	assert_equal "$(jq -c 'select(.column) | [.column, .string.top[0].value]' p.prof | jq -sc .)" \
		"$(jq -c 'to_entries | map([.key, .value])' in.ndjson)"
	ml-stats --merge p.prof >m.prof
	assert_bytes_equal p.prof m.prof
}

@test "a column whose name holds \\u0000 stays a column of its own, through a merge" {
	printf '{"a":1,"a\\u0000b":2}\n' >in.ndjson
	ml-stats in.ndjson >p.prof
	assert_equal "$(jq -c 'select(.column) | [.column, .number.sum]' p.prof | jq -sc .)" '[["a",1],["a\u0000b",2]]'
	ml-stats --merge p.prof >m.prof
	assert_bytes_equal p.prof m.prof
}

@test "the run log records the input and the output with their sha256" {
	gen_records 500 >in.ndjson
	ML_RUN_LOG=runs.ndjson ml-stats --top 5 -o p.prof in.ndjson
	assert_json_lines runs.ndjson
	assert_equal "$(jq -c .inputs runs.ndjson)" \
		"[{\"path\":\"in.ndjson\",\"bytes\":$(wc -c <in.ndjson),\"records\":500,\"sha256\":\"$(sha256_id in.ndjson)\"}]"
	assert_equal "$(jq -c .outputs runs.ndjson)" \
		"[{\"path\":\"p.prof\",\"bytes\":$(wc -c <p.prof),\"records\":4,\"sha256\":\"$(sha256_id p.prof)\"}]"
	assert_equal "$(jq -c '[.tool, .exit, .counters.records, .counters.columns, .params.top, .params.merge]' runs.ndjson)" \
		'["ml-stats",0,500,3,5,false]'
	# a merge logs each profile it read, and the profiles it merged
	rm runs.ndjson
	ml-stats in.ndjson >q.prof
	# shellcheck disable=SC2002 # a pipe, not a file
	cat p.prof | ML_RUN_LOG=runs.ndjson ml-stats --merge q.prof - >m.prof
	assert_equal "$(jq -c '[.inputs[] | [.path, .records, .sha256]]' runs.ndjson)" \
		"[[\"q.prof\",1,\"$(sha256_id q.prof)\"],[\"-\",1,\"$(sha256_id p.prof)\"]]"
	assert_equal "$(jq -c '[.outputs[0].sha256, .counters.profiles, .counters.records, .params.merge]' runs.ndjson)" \
		"[\"$(sha256_id m.prof)\",2,1000,true]"
}

@test "--threads N profiles as one pass does: the same counts, extremes and top values, moments within rounding" {
	# CRLF lines and blank lines in every chunk, more than a chunk (1 MiB) of records
	/usr/bin/python3 - <<'PY'
import json, random
r = random.Random(3)
with open("par.ndjson", "w") as f:
    for i in range(60000):
        f.write(json.dumps({"i": i, "x": r.gauss(0, 1), "s": r.choice("abcd"), "b": r.random() < 0.3,
                            "n": None if i % 7 == 0 else i % 13}) + ("\r\n" if i % 5 == 0 else "\n"))
        if i % 1000 == 0:
            f.write("\n")
PY
	ml-stats par.ndjson >one.profile
	run --separate-stderr ml-stats --threads 3 -o three.profile par.ndjson
	assert_success
	local exact='{column, records, present, missing, types, count: .number.count, min: .number.min, max: .number.max, zeros: .number.zeros, top, distinct}'
	assert_equal "$(jq -c "select(.column) | $exact" three.profile)" "$(jq -c "select(.column) | $exact" one.profile)"
	assert_equal "$(head -1 three.profile | jq -c '[.records, .bytes, .source]')" "$(head -1 one.profile | jq -c '[.records, .bytes, .source]')"
	# the mean and the deviation, merged from the threads' shares
	run /usr/bin/python3 -c '
import json, sys
a = [json.loads(l) for l in open("one.profile")][1:]
b = [json.loads(l) for l in open("three.profile")][1:]
for x, y in zip(a, b):
    if "number" in x:
        for k in ("mean", "std", "sum"):
            u, v = x["number"][k], y["number"][k]
            if abs(u - v) > 1e-12 * max(1, abs(u)):
                print(x["column"], k, u, v)'
	assert_output ""
	# the same input and threads give the same bytes
	ml-stats --threads 3 par.ndjson | cmp - three.profile
}

@test "--threads N names the file and line of a malformed record, the first one as one pass would" {
	/usr/bin/python3 -c '
import json
with open("a.ndjson", "w") as f:
    for i in range(40000):
        f.write(json.dumps({"i": i, "pad": "x" * 40}) + "\n")
with open("b.ndjson", "w") as f:
    for i in range(30000):
        f.write(json.dumps({"i": i}) + "\n")
        if i in (20000, 25000):
            f.write("{\"i\":\n")'
	run --separate-stderr ml-stats --threads 2 a.ndjson b.ndjson
	assert_failure 2
	assert_equal "$stderr" "ml-stats: b.ndjson:20002: malformed JSON: expected a value (column 6)"
	run --separate-stderr ml-stats --threads 0 a.ndjson
	assert_failure 2
	assert_regex "$stderr" '--threads'
}

@test "--threads 2 names the exact line of a malformed record blocks deep in a large input, and hashes it whole from a pipe" {
	# about 4 MiB: blank lines, CRLF ends and a line longer than a block
	# (1 MiB) before the bad record, which is in neither the first block nor
	# the last; the reader does not count lines, the workers do
	/usr/bin/python3 -c '
import json
with open("big.ndjson", "w", newline="") as f:
    line = 0
    for i in range(60000):
        if i == 2000:
            f.write(json.dumps({"i": i, "long": "y" * 1500000}) + "\n")
        elif i == 41000:
            f.write("{\"i\": 1,, 2}\n")
            open("bad.line", "w").write(str(line + 1))
        else:
            f.write(json.dumps({"i": i, "pad": "x" * 30}) + ("\r\n" if i % 3 == 0 else "\n"))
        line += 1
        if i % 500 == 0:
            f.write("\n")
            line += 1'
	run --separate-stderr ml-stats --threads 2 big.ndjson
	assert_failure 2
	assert_equal "$stderr" "ml-stats: big.ndjson:$(cat bad.line): malformed JSON: expected a string key (column 9)"
	run --separate-stderr ml-stats --threads 1 big.ndjson
	assert_equal "$stderr" "ml-stats: big.ndjson:$(cat bad.line): malformed JSON: expected a string key (column 9)"
	# the same input without the bad record, through a pipe: its sha256 in
	# the run log is the file's, and the profile is the one of the file
	grep -v ',,' big.ndjson >good.ndjson
	ml-stats --threads 2 good.ndjson >file.prof
	# shellcheck disable=SC2002 # a pipe, not a file
	cat good.ndjson | ML_RUN_LOG=runs.ndjson ml-stats --threads 2 - >pipe.prof
	assert_equal "$(jq -c '[.inputs[] | [.records, .sha256]]' runs.ndjson)" "[[59999,\"$(sha256_id good.ndjson)\"]]"
	assert_equal "$(head -1 pipe.prof | jq -c '[.records, .bytes, .source]')" \
		"[59999,$(wc -c <good.ndjson),\"$(sha256_id good.ndjson)\"]"
	assert_equal "$(tail -n +2 pipe.prof)" "$(tail -n +2 file.prof)"
}
