#!/usr/bin/env bats
# ml-ingest: every option, every format, every bad input.
#
# Most inputs are written here with printf; the few kept as files are in
# fixtures/ingest/.  Compressed files and archives are made in the test with
# gzip, bzip2, xz, zstd, tar and zip.

load helper

setup() {
	ml_setup
	FIX="$BATS_TEST_DIRNAME/fixtures/ingest"
}

# ingest ARGS...: runs ml-ingest with stdout and stderr apart.
ingest() {
	run --separate-stderr ml-ingest "$@"
}

# assert_clean_success: exit 0 and nothing on stderr.
assert_clean_success() {
	assert_success
	assert_equal "$stderr" ""
}

# assert_trouble TEXT: exit 2, and the one stderr line is "ml-ingest: TEXT".
assert_trouble() {
	assert_equal "$status" 2
	assert_equal "$stderr" "ml-ingest: $1"
}

# assert_trouble_starts TEXT: exit 2 and stderr starts "ml-ingest: TEXT".
assert_trouble_starts() {
	assert_equal "$status" 2
	if [[ "$stderr" != "ml-ingest: $1"* ]]; then
		fail "stderr does not start with 'ml-ingest: $1': ${stderr:-<empty>}"
	fi
}

# A small CSV file and what ml-ingest makes of it.
write_small_csv() {
	printf 'id,name,x\n1,ann,0.5\n2,bob,1.50\n3,cy,-2\n' >small.csv
	printf '%s\n' '{"id":1,"name":"ann","x":0.5}' '{"id":2,"name":"bob","x":1.50}' \
		'{"id":3,"name":"cy","x":-2}' >small.expected
}

# Three archive members of different formats, and a directory entry.
write_members() {
	mkdir -p m/sub
	printf 'a,b\n1,2\n' >m/one.csv
	printf '{"a":3,"b":4}\n' >m/two.ndjson
	printf 'a\tb\n5\t6\n' >m/sub/three.tsv
	printf 'not data\n' >m/README
}

# The records of write_members' members, in the order one, two, three.
members_expected() {
	printf '%s\n' '{"a":1,"b":2}' '{"a":3,"b":4}' '{"a":5,"b":6}'
}

# --- usage ----------------------------------------------------------------

@test "--help documents every option and the typing rules" {
	ingest --help
	assert_clean_success
	for opt in --format -d --delimiter --no-header --member --max-bytes --null --string --schema \
		--fields --rename --add-source -o --output --reject -v --verbose --run-log \
		--no-run-log -h --help --version; do
		assert_output --partial -- " $opt"
	done
	for word in csv tsv ndjson json libsvm .gz .bz2 .xz .zst .tar .tgz .zip \
		NA,N/A,null,NULL 007 +1 .5 NaN Inf True TRUE 'Exit status'; do
		assert_output --partial -- "$word"
	done
}

@test "-h is --help" {
	ingest -h
	assert_clean_success
	assert_output "$(ml-ingest --help)"
	assert_line --index 0 "Usage: ml-ingest [OPTION]... [FILE]..."
}

@test "--version prints the version and exits 0" {
	ingest --version
	assert_clean_success
	assert_output --regexp '^ml-ingest .*[0-9]+\.[0-9]+'
}

@test "an unknown option is a usage error with a hint" {
	ingest --bogus
	assert_usage_error ml-ingest
	assert_equal "${stderr_lines[1]}" "Try 'ml-ingest --help' for more information."
}

@test "an unknown --format is a usage error naming it" {
	ingest --format xml
	assert_usage_error ml-ingest
	assert_equal "${stderr_lines[0]}" "ml-ingest: --format: unknown format 'xml' (csv, tsv, ndjson, json, libsvm)"
}

@test "a --delimiter of more than one byte, or a quote, is a usage error" {
	printf 'a\n' >in.csv
	for d in ';;' '"' ''; do
		ingest -d "$d" in.csv
		assert_usage_error ml-ingest
		assert_equal "${stderr_lines[0]}" "ml-ingest: --delimiter: '$d' is not one byte (other than a quote or newline)"
	done
}

@test "--delimiter with a format that is not delimited text is a usage error" {
	ingest -d ';' --format ndjson
	assert_usage_error ml-ingest
	assert_equal "${stderr_lines[0]}" "ml-ingest: --delimiter goes with delimited text (csv, tsv)"
	ingest -d ';' --format tsv
	assert_usage_error ml-ingest
}

@test "--max-bytes takes a positive size with K, M, G or T; anything else is a usage error" {
	printf 'a\n1\n' >in.csv
	for size in 4 1K 2m 3G 1T; do
		ingest --max-bytes "$size" in.csv
		assert_clean_success
	done
	for size in abc -1 0 1.5K 1KB 1P '' 99999999999999999999 16777216T; do
		ingest --max-bytes "$size" in.csv
		assert_usage_error ml-ingest
		assert_equal "${stderr_lines[0]}" "ml-ingest: --max-bytes: '$size' is not a size (a positive number of bytes, with an optional K, M, G or T)"
	done
}

@test "--rename without OLD=NEW is a usage error" {
	for spec in a a= =b a=b,c; do
		ingest --rename "$spec"
		assert_usage_error ml-ingest
		assert_output ""
	done
}

@test "--add-source with an empty name and --fields with an empty name are usage errors" {
	ingest --add-source ''
	assert_usage_error ml-ingest
	ingest --fields a,,b
	assert_usage_error ml-ingest
	assert_equal "${stderr_lines[0]}" "ml-ingest: --fields: empty field name"
}

@test "a field given twice to --fields is a usage error" {
	ingest --fields a,b,a
	assert_usage_error ml-ingest
	assert_equal "${stderr_lines[0]}" "ml-ingest: --fields: 'a' is given twice"
}

@test "renaming one field twice, or two fields to one name, is a usage error" {
	ingest --rename a=x --rename a=y
	assert_usage_error ml-ingest
	assert_equal "${stderr_lines[0]}" "ml-ingest: --rename: 'a' is renamed twice"
	ingest --rename a=x,b=x
	assert_usage_error ml-ingest
	assert_equal "${stderr_lines[0]}" "ml-ingest: --rename: 'a' and 'b' are both renamed to 'x'"
	ingest --rename a=src --add-source src
	assert_usage_error ml-ingest
	ingest --fields a,b --rename a=b
	assert_usage_error ml-ingest
	assert_equal "${stderr_lines[0]}" "ml-ingest: --fields a,b: both would be named 'b' (check --rename)"
}

@test "a missing input file is an error naming it, and nothing is written" {
	ingest no-such.csv
	assert_trouble "cannot open 'no-such.csv': No such file or directory"
	assert_output ""
}

@test "a directory as input is an error naming it" {
	mkdir d
	ingest d
	assert_trouble "cannot read 'd': Is a directory"
}

# --- CSV (RFC 4180) -------------------------------------------------------

@test "CSV: quoted fields hold the delimiter, doubled quotes and newlines" {
	printf 'a,b,c\n1,"x,y","he said ""hi"""\n2,"line1\nline2",""""\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":"x,y","c":"he said \"hi\""}
{"a":2,"b":"line1\nline2","c":"\""}
EOF
}

@test "CSV: the RFC 4180 fixture (CRLF, quotes, spaces, empty quoted fields) reads as expected" {
	ingest "$FIX/rfc4180.csv"
	assert_clean_success
	assert_output - <<'EOF'
{"id":1,"name":"Smith, Jane","note":"said \"hi\"","amount":1.50}
{"id":2,"name":" Bob ","note":"two\nlines","amount":-0}
{"id":3,"name":null,"note":null,"amount":"007"}
EOF
}

@test "CSV: CRLF line ends give the same records as LF" {
	printf 'a,b\n1,"x,y"\n2,z\n' >lf.csv
	printf 'a,b\r\n1,"x,y"\r\n2,z\r\n' >crlf.csv
	ml-ingest lf.csv >lf.out
	ml-ingest crlf.csv >crlf.out
	assert_bytes_equal lf.out crlf.out
	run cat crlf.out
	refute_output --partial '\r'
	assert_equal "$(nlines crlf.out)" 2
}

@test "CSV: a UTF-8 byte order mark is not part of the first column's name" {
	printf '\xef\xbb\xbfid,name\r\n1,x\r\n' >bom.csv
	ingest bom.csv
	assert_clean_success
	assert_output '{"id":1,"name":"x"}'
}

@test "CSV: spaces around unquoted and inside quoted values are kept" {
	printf 'a,b,c\n  x , 1 ," y "\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output '{"a":"  x ","b":" 1 ","c":" y "}'
}

@test "CSV: -d ';' splits on semicolons and keeps commas in values" {
	printf 'a;b\n1,5;"x;y"\n' >in.txt
	ingest -d ';' in.txt
	assert_clean_success
	assert_output '{"a":"1,5","b":"x;y"}'
	ingest --delimiter ';' in.txt
	assert_clean_success
	assert_output '{"a":"1,5","b":"x;y"}'
}

@test "CSV: -d '\\t' splits on tabs, with CSV quoting" {
	printf 'a\tb\n"x\ty"\t2\n' >in.txt
	ingest -d '\t' in.txt
	assert_clean_success
	assert_output '{"a":"x\ty","b":2}'
}

@test "CSV: -d '|' splits on vertical bars" {
	printf 'a|b|c\n1|"p|q"|\n' >in.txt
	ingest -d '|' in.txt
	assert_clean_success
	assert_output '{"a":1,"b":"p|q","c":null}'
}

@test "CSV: the delimiter is detected from the first line on standard input" {
	run --separate-stderr sh -c "printf 'a;b;c\n1;2,5;x\n' | ml-ingest"
	assert_clean_success
	assert_output '{"a":1,"b":"2,5","c":"x"}'
	run --separate-stderr sh -c "printf 'a|b\n1|2\n' | ml-ingest"
	assert_output '{"a":1,"b":2}'
}

@test "CSV: --no-header reads the first row as data and names the columns c1..cN" {
	printf '1,x,true\n2,y,false\n' >in.csv
	ingest --no-header in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"c1":1,"c2":"x","c3":true}
{"c1":2,"c2":"y","c3":false}
EOF
}

@test "CSV: --no-header keeps every byte of the first row, a NUL included" {
	printf '1,"a\0b"\n2,c\0d\n' >in.csv
	ingest --no-header in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"c1":1,"c2":"a\u0000b"}
{"c1":2,"c2":"c\u0000d"}
EOF
}

@test "CSV: a repeated header name gets _2, _3, and nothing is lost" {
	printf 'a,b,a,a,a_2\n1,2,3,4,5\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output '{"a":1,"b":2,"a_2":3,"a_3":4,"a_2_2":5}'
}

@test "CSV: an empty header name becomes cN for its column" {
	printf 'a,,c,\n1,2,3,4\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output '{"a":1,"c2":2,"c":3,"c4":4}'
}

@test "CSV: a carriage return inside an unquoted field is data, not the end of a row" {
	printf 'a,b\n1,x\ry\n"2",p\rq\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":"x\ry"}
{"a":2,"b":"p\rq"}
EOF
}

@test "CSV and TSV: lines ended by bare CRs (old Mac text) are lines" {
	printf 'a,b\r1,"x\ry"\r3,4\r5\r' >mac.csv
	ingest mac.csv
	assert_trouble "mac.csv:5: row has 1 field, the header has 2"
	assert_output - <<'EOF'
{"a":1,"b":"x\ny"}
{"a":3,"b":4}
EOF
	printf 'a\tb\r1\t2\r' >mac.tsv
	ingest mac.tsv
	assert_clean_success
	assert_output '{"a":1,"b":2}'
}

@test "NDJSON and libsvm: lines ended by bare CRs are lines, from a file or standard input" {
	printf '{"a":1}\r{"a":2, "b":\r"x"}\r' >cr.ndjson
	ingest cr.ndjson
	assert_trouble_starts "cr.ndjson:2: malformed JSON"
	assert_output '{"a":1}'
	printf '{"a":1}\r\r{"a":2}\r' >cr.ndjson
	ingest cr.ndjson
	assert_clean_success
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}')"
	printf '1 1:2 3:4\r-1 2:5\r' >cr.svm
	ingest cr.svm
	assert_clean_success
	assert_output "$(printf '%s\n' '{"label":1,"f1":2,"f3":4}' '{"label":-1,"f2":5}')"
	run --separate-stderr sh -c 'ml-ingest <cr.svm'
	assert_clean_success
	assert_output "$(printf '%s\n' '{"label":1,"f1":2,"f3":4}' '{"label":-1,"f2":5}')"
}

@test "a CR between JSON tokens, or in a quoted CSV field, is no line end when the text has a LF" {
	printf '{"a":1,\r"b":2}\n' >in.ndjson
	ingest in.ndjson
	assert_clean_success
	assert_output $'{"a":1,\r"b":2}'
	printf 'a,"x\ry"\n1,2\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output '{"a":1,"x\ry":2}'
}

@test "CSV: blank lines are not rows" {
	printf 'a,b\n\n1,2\n\n\n3,4\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":2}
{"a":3,"b":4}
EOF
}

@test "CSV: a header without rows, and an empty file, give no records and exit 0" {
	printf 'a,b\n' >header.csv
	: >empty.csv
	ingest header.csv empty.csv
	assert_clean_success
	assert_output ""
}

@test "CSV: a row that ends without a newline at the end of the file is read" {
	printf 'a,b\n1,2\n3,"4"' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":2}
{"a":3,"b":4}
EOF
}

# --- TSV ------------------------------------------------------------------

@test "TSV: escapes are decoded and quotes are ordinary characters" {
	printf 'a\tb\tc\n1\\t2\t"q"\tx\\ny\n\\\\n\t\t-\n' >in.tsv
	ingest in.tsv
	assert_clean_success
	assert_output - <<'EOF'
{"a":"1\t2","b":"\"q\"","c":"x\ny"}
{"a":"\\n","b":null,"c":"-"}
EOF
}

@test "TSV: .tsv and .tab names and tabs in the first line all mean TSV" {
	printf 'a\tb\n"x\t2\n' >in.tsv
	cp in.tsv in.tab
	cp in.tsv in.txt
	for f in in.tsv in.tab in.txt; do
		ingest "$f"
		assert_clean_success
		assert_output '{"a":"\"x","b":2}'
	done
}

@test "TSV: a ragged row is an error naming the file and line" {
	printf 'a\tb\n1\t2\n3\n' >in.tsv
	ingest in.tsv
	assert_trouble "in.tsv:3: row has 1 field, the header has 2"
	assert_output '{"a":1,"b":2}'
}

# --- NDJSON ---------------------------------------------------------------

@test "NDJSON: records pass through byte for byte" {
	printf '%s\n' '{"b" : 1.50 , "a":"caf\u00e9", "n":{"x":[1, 2]}}' \
		'{"z":12345678901234567890,"y":-0,"x":1E5}' '{}' >in.ndjson
	ml-ingest in.ndjson >out.ndjson
	assert_bytes_equal in.ndjson out.ndjson
}

@test "NDJSON: CRLF and blank lines are tolerated" {
	printf '{"a":1}\r\n\r\n   \n{"a":2}\r\n' >in.ndjson
	ingest in.ndjson
	assert_clean_success
	assert_output - <<'EOF'
{"a":1}
{"a":2}
EOF
}

@test "NDJSON: a malformed line is an error naming the file and line" {
	printf '{"a":1}\n{"a":2,}\n{"a":3}\n' >in.ndjson
	ingest in.ndjson
	assert_trouble_starts "in.ndjson:2: malformed JSON"
	assert_output '{"a":1}'
}

@test "NDJSON: with --reject a malformed line is set aside and the rest goes on" {
	printf '{"a":1}\n{"a":\n[1,2]\n{"a":3}\n' >in.ndjson
	ingest --reject rej.ndjson in.ndjson
	assert_clean_success
	assert_output - <<'EOF'
{"a":1}
{"a":3}
EOF
	run jq -c '[.source, .member, .line, .raw]' rej.ndjson
	assert_output - <<'EOF'
["in.ndjson",null,2,"{\"a\":"]
["in.ndjson",null,3,"[1,2]"]
EOF
	run jq -r .reason rej.ndjson
	assert_line --index 0 --partial "malformed JSON"
	assert_line --index 1 "record is a JSON array, not an object"
}

@test "NDJSON: invalid UTF-8 in a string is an error with its line" {
	printf '{"a":"ok"}\n{"a":"\xff"}\n' >in.ndjson
	ingest in.ndjson
	assert_trouble_starts "in.ndjson:2: malformed JSON: invalid UTF-8"
}

# --- JSON arrays ----------------------------------------------------------

@test "JSON: a pretty-printed array becomes one compact record per line" {
	ingest "$FIX/people.json"
	assert_clean_success
	assert_output - <<'EOF'
{"id":1,"name":"Ada","score":1.50,"tags":["a","b"],"ok":true}
{"id":2,"name":"Grace \"Amazing\" Hopper","score":1e5,"tags":[],"ok":null}
EOF
}

@test "JSON: brackets and braces inside strings do not end an element" {
	printf '[{"s":"a ] } \\" ["},\n{"t":"{"}]\n' >in.json
	ingest in.json
	assert_clean_success
	assert_output - <<'EOF'
{"s":"a ] } \" ["}
{"t":"{"}
EOF
}

@test "JSON: an empty array gives no records" {
	printf ' [ \n ]\n' >in.json
	ingest in.json
	assert_clean_success
	assert_output ""
}

@test "JSON: an element that is not an object is an error naming its line" {
	printf '[\n {"a":1},\n 3,\n {"a":2}\n]\n' >in.json
	ingest in.json
	assert_trouble "in.json:3: array element is a JSON number, not an object"
	assert_output '{"a":1}'
}

@test "JSON: with --reject elements that are not objects are set aside" {
	printf '[{"a":1}, "x,]", [1, {"b":2}], null, {"a":2}]' >in.json
	ingest --reject rej.ndjson in.json
	assert_clean_success
	assert_output - <<'EOF'
{"a":1}
{"a":2}
EOF
	run jq -c '[.line, .reason, .raw]' rej.ndjson
	assert_output - <<'EOF'
[1,"array element is a JSON string, not an object","\"x,]\""]
[1,"array element is a JSON array, not an object","[1, {\"b\":2}]"]
[1,"array element is a JSON null, not an object","null"]
EOF
}

@test "JSON: a malformed element is rejected, not repaired by removing whitespace" {
	printf '[{"a":1 2},\n {"b":tr ue},\n {"c":3}]\n' >in.json
	ingest --reject rej.ndjson in.json
	assert_clean_success
	assert_output '{"c":3}'
	run jq -c '[.line, .raw]' rej.ndjson
	assert_output - <<'EOF'
[1,"{\"a\":1 2}"]
[2,"{\"b\":tr ue}"]
EOF
	ingest in.json
	assert_trouble_starts "in.json:1: malformed JSON"
	assert_output ""
}

@test "JSON: a truncated array is an error" {
	printf '[{"a":1},\n{"a":2}' >t1.json
	ingest t1.json
	assert_trouble "t1.json:2: the array is not closed (truncated input?)"
	assert_output - <<'EOF'
{"a":1}
{"a":2}
EOF
	printf '[{"a":1},\n{"a":' >t2.json
	ingest t2.json
	assert_trouble "t2.json:2: the input ends inside an array element (truncated?)"
	assert_output '{"a":1}'
}

@test "JSON: a trailing comma, a missing comma and text after the array are errors" {
	printf '[{"a":1},]' >comma.json
	ingest comma.json
	assert_trouble "comma.json:1: expected an array element, not ']'"
	printf '[{"a":1}\n{"a":2}]' >missing.json
	ingest missing.json
	assert_trouble "missing.json:2: expected ',' or ']' after an array element"
	printf '[{"a":1}]\nx\n' >after.json
	ingest after.json
	assert_trouble "after.json:2: text after the end of the array"
}

@test "JSON: a file named .json that holds no array is an error" {
	printf '"just a string"\n' >in.json
	ingest in.json
	assert_trouble "in.json:1: expected a JSON array of objects"
}

# --- libsvm ---------------------------------------------------------------

@test "libsvm: labels (+1 -1), qid, comments and blank lines" {
	ingest "$FIX/sample.svm"
	assert_clean_success
	assert_output - <<'EOF'
{"label":1,"qid":1,"f1":0.5,"f3":1e-3}
{"label":-1,"qid":1,"f2":7}
{"label":0,"qid":2,"f10":-2.25}
EOF
}

@test "libsvm: recognized from its content on standard input" {
	run --separate-stderr sh -c "printf '+1 1:0.5 2:3\n-1 2:1\n' | ml-ingest"
	assert_clean_success
	assert_output - <<'EOF'
{"label":1,"f1":0.5,"f2":3}
{"label":-1,"f2":1}
EOF
}

@test "libsvm: a bad line is an error with its line, or a reject" {
	printf '1 1:1\n1 a:1\n+-1 2:2\nx 1:1\n1 2:NaN\n1 3:3\n' >in.svm
	ingest in.svm
	assert_trouble "in.svm:2: a feature index is not a number"
	ingest --reject rej.ndjson in.svm
	assert_clean_success
	assert_output - <<'EOF'
{"label":1,"f1":1}
{"label":1,"f3":3}
EOF
	run jq -c '[.line, .reason]' rej.ndjson
	assert_output - <<'EOF'
[2,"a feature index is not a number"]
[3,"the label is not a number"]
[4,"the label is not a number"]
[5,"a feature value is not a number"]
EOF
}

@test "libsvm: a feature index given twice is rejected, not written as two fields" {
	printf '1 1:1 1:2\n1 5:1 2:2 05:3\n1 qid:1 qid:2\n1 2:1 1:1\n' >in.svm
	ingest --reject rej.ndjson in.svm
	assert_clean_success
	assert_output '{"label":1,"f2":1,"f1":1}'
	run jq -c '[.line, .reason]' rej.ndjson
	assert_output - <<'EOF'
[1,"a feature index is given twice"]
[2,"a feature index is given twice"]
[3,"qid is given twice"]
EOF
}

# --- format detection -----------------------------------------------------

@test "the format comes from the file name" {
	printf 'a,b\n1,2\n' >x.csv
	printf 'a\tb\n1\t2\n' >x.tsv
	printf 'a\tb\n1\t2\n' >x.tab
	printf '{"a":1,"b":2}\n' >x.ndjson
	printf '{"a":1,"b":2}\n' >x.jsonl
	printf '[{"a":1,"b":2}]\n' >x.json
	printf '1 1:2\n' >x.svm
	printf '1 1:2\n' >x.libsvm
	for f in x.csv x.tsv x.tab x.ndjson x.jsonl x.json; do
		ingest "$f"
		assert_clean_success
		assert_output '{"a":1,"b":2}'
	done
	for f in x.svm x.libsvm; do
		ingest "$f"
		assert_output '{"label":1,"f1":2}'
	done
}

@test "the name wins over the content: a .csv file of JSON lines is read as CSV" {
	printf '{"a":1}\n' >x.csv
	ingest x.csv
	assert_trouble "x.csv:1: malformed CSV: a quote inside an unquoted field, or text after a closing quote"
}

@test "without a telling name the content decides, also on standard input" {
	printf 'a,b\n1,2\n' >csv.dat
	printf 'a\tb\n1\t2\n' >tsv.dat
	printf '\n{"a":1,"b":2}\n' >ndjson.dat
	printf '\n[{"a":1,"b":2}]\n' >json.dat
	for f in csv tsv ndjson json; do
		ingest "$f.dat"
		assert_clean_success
		assert_output '{"a":1,"b":2}'
		run --separate-stderr sh -c "ml-ingest <$f.dat"
		assert_clean_success
		assert_output '{"a":1,"b":2}'
	done
}

@test "--format overrides the name and the content" {
	printf 'a\tb\n1\t2\n' >x.csv
	ingest --format tsv x.csv
	assert_clean_success
	assert_output '{"a":1,"b":2}'
	printf '{"a":1}\n' >x.txt
	ingest --format ndjson x.txt
	assert_output '{"a":1}'
	printf '1 1:2\n' >y.txt
	ingest --format libsvm y.txt
	assert_output '{"label":1,"f1":2}'
	printf '[{"a":1}]' >z.txt
	ingest --format json z.txt
	assert_output '{"a":1}'
	printf '1 1:2\n' >w.svm
	ingest --format csv --no-header w.svm
	assert_output '{"c1":"1 1:2"}'
}

@test "-d implies CSV, even for a .tsv name" {
	printf 'a,b\tc\n1,2\t3\n' >x.tsv
	ingest -d , x.tsv
	assert_clean_success
	assert_output '{"a":1,"b\tc":"2\t3"}'
}

# --- compressed files -----------------------------------------------------

@test "gzip, bzip2, xz and zstd files give the same records as the plain file" {
	printf 'a,b\n1,"x\ny"\n2,z\n' >d.csv
	ml-ingest d.csv >plain.out
	gzip -k d.csv
	bzip2 -k d.csv
	xz -k d.csv
	zstd -q d.csv
	for f in d.csv.gz d.csv.bz2 d.csv.xz d.csv.zst; do
		ml-ingest "$f" >"$f.out"
		assert_bytes_equal plain.out "$f.out"
	done
}

@test "compressed standard input is recognized by its content" {
	printf '{"a":1}\n{"a":2}\n' | gzip >in.gz
	run --separate-stderr sh -c 'ml-ingest <in.gz'
	assert_clean_success
	assert_output - <<'EOF'
{"a":1}
{"a":2}
EOF
	printf 'a,b\n1,2\n' | zstd -q >in.zst
	run --separate-stderr sh -c 'ml-ingest - <in.zst'
	assert_output '{"a":1,"b":2}'
}

@test "a gzip file of several members is read whole" {
	{ printf 'a,b\n1,2\n' | gzip; printf '3,4\n' | gzip; } >d.csv.gz
	ingest d.csv.gz
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":2}
{"a":3,"b":4}
EOF
}

# damage_gzip IN OUT WHAT: OUT is the gzip file IN with one byte changed:
# WHAT is data (a byte of text, stored), crc or isize (the trailer's).
damage_gzip() {
	/usr/bin/python3 -c "
import gzip, sys
d = bytearray(gzip.compress(open(sys.argv[1], 'rb').read(), compresslevel=0))
i = {'data': len(d) - 9, 'crc': len(d) - 8, 'isize': len(d) - 1}[sys.argv[3]]
d[i] ^= 1
open(sys.argv[2], 'wb').write(d)" "$@"
}

@test "a gzip whose data, CRC or length is damaged is an error naming the file and the checksum" {
	printf 'a,b\n1,2\n3,4\n' >d.csv
	damage_gzip d.csv data.csv.gz data
	run gzip -t data.csv.gz
	assert_failure
	ingest data.csv.gz
	assert_trouble_starts "data.csv.gz"
	assert_regex "$stderr" ': gzip checksum mismatch \(CRC-32\): the data is damaged$'
	damage_gzip d.csv crc.csv.gz crc
	ingest crc.csv.gz
	assert_regex "$stderr" '^ml-ingest: crc\.csv\.gz.*: gzip checksum mismatch'
	assert_equal "$status" 2
	damage_gzip d.csv isize.csv.gz isize
	ingest isize.csv.gz
	assert_regex "$stderr" '^ml-ingest: isize\.csv\.gz.*: gzip length mismatch \(ISIZE\): the data is damaged$'
	assert_equal "$status" 2
	# in a tar.gz (whose tar ends before the gzip trailer) and a gzip member
	mkdir m
	seq 1 20000 | awk 'BEGIN { print "n" } { print }' >m/big.csv
	tar -C m -cf t.tar big.csv
	damage_gzip t.tar t.tgz crc
	ingest t.tgz
	assert_trouble "t.tgz: broken archive or compressed data: gzip checksum mismatch (CRC-32): the data is damaged"
	damage_gzip m/big.csv m/big.csv.gz crc
	(cd m && zip -q ../z.zip big.csv.gz)
	ingest z.zip
	assert_regex "$stderr" '^ml-ingest: z\.zip\(big\.csv\.gz\)(:[0-9]+)?: .*: gzip checksum mismatch'
	assert_equal "$status" 2
}

@test "gzip: every member's checksum is checked, zeros after the last are ignored, other bytes are an error" {
	printf 'a,b\n1,2\n' >one.csv
	printf '3,4\n' >two.csv
	{ gzip -c one.csv; damage_gzip two.csv /dev/stdout crc; } >cat.csv.gz
	ingest cat.csv.gz
	assert_regex "$stderr" '^ml-ingest: cat\.csv\.gz.*: gzip checksum mismatch'
	assert_equal "$status" 2
	{ gzip -c one.csv; head -c 1000 /dev/zero; } >pad.csv.gz
	ingest pad.csv.gz
	assert_clean_success
	assert_output '{"a":1,"b":2}'
	{ gzip -nc one.csv; printf '\0\0junk'; } >junk.csv.gz
	run gzip -t junk.csv.gz
	assert_equal "$status" 2
	ingest junk.csv.gz
	assert_trouble_starts "junk.csv.gz"
	assert_regex "$stderr" ': trailing garbage after the gzip data, at offset 30 \(damaged, or other data appended\?\)$'
}

@test "a truncated .gz is an error naming the file and the line it broke on" {
	seq 1 100000 | awk 'BEGIN { print "n,s" } { print $1 ",x" $1 }' >big.csv
	gzip -c big.csv >full.csv.gz
	head -c $(($(stat -c %s full.csv.gz) / 2)) full.csv.gz >half.csv.gz
	ingest half.csv.gz
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-ingest: half\.csv\.gz:[0-9]+: broken archive or compressed data: truncated gzip input$'
	# the line named is the one after the last record written
	line=${stderr#ml-ingest: half.csv.gz:}
	line=${line%%:*}
	assert_equal "$line" $((${#lines[@]} + 2))
}

@test "a .gz with a damaged header is an error naming the file" {
	printf 'a,b\n1,2\n' | gzip >d.csv.gz
	printf '\x1f\x8b\x08\x00garbage that is no deflate data' >bad.csv.gz
	ingest bad.csv.gz
	assert_trouble_starts "bad.csv.gz: cannot read archive or compressed data: "
	assert_output ""
}

@test "a file named .gz that is not gzip data is an error, not read as text" {
	printf 'a,b\n1,2\n' >plain.csv.gz
	ingest plain.csv.gz
	assert_trouble "plain.csv.gz: not gzip data, as the name says (damaged, or misnamed?)"
	assert_output ""
	: >empty.csv.gz
	ingest empty.csv.gz
	assert_trouble "empty.csv.gz: not gzip data, as the name says (an empty file)"
	printf 'a,b\n' >x.zip
	ingest x.zip
	assert_trouble_starts "x.zip: not zip data"
}

# --- archives -------------------------------------------------------------

@test "tar: members are read in archive order, each in its own format" {
	write_members
	tar -C m -cf a.tar sub two.ndjson one.csv
	ingest --member '*.*' a.tar
	assert_clean_success
	assert_output - <<'EOF'
{"a":5,"b":6}
{"a":3,"b":4}
{"a":1,"b":2}
EOF
}

@test ".tar, .tar.gz, .tgz and .zip give the same records" {
	write_members
	members_expected >want
	tar -C m -cf a.tar one.csv two.ndjson sub/three.tsv
	tar -C m -czf a.tar.gz one.csv two.ndjson sub/three.tsv
	cp a.tar.gz a.tgz
	(cd m && zip -q ../a.zip one.csv two.ndjson sub/three.tsv)
	for f in a.tar a.tar.gz a.tgz a.zip; do
		ml-ingest "$f" >"$f.out"
		assert_bytes_equal want "$f.out"
	done
}

@test "--member reads only matching members, and is repeatable" {
	write_members
	tar -C m -cf a.tar one.csv two.ndjson README sub
	ingest --member '*.csv' a.tar
	assert_clean_success
	assert_output '{"a":1,"b":2}'
	ingest --member 'sub/*' --member 'one.*' a.tar
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":2}
{"a":5,"b":6}
EOF
}

@test "a --member pattern that matches no member of an archive is an error naming it and the archive" {
	write_members
	tar -C m -cf a.tar one.csv two.ndjson
	ingest --member 'nothing*' a.tar
	assert_trouble "a.tar: no member matches --member 'nothing*'"
	assert_output ""
	ingest --member '*.csv' --member '*.tsv' a.tar
	assert_trouble "a.tar: no member matches --member '*.tsv'"
	tar -cf empty.tar --files-from /dev/null
	ingest --member '*.csv' a.tar empty.tar
	assert_trouble "empty.tar: no member matches --member '*.csv'"
	# a file that is no archive has no members to match
	printf 'a\n1\n' | gzip >p.csv.gz
	ingest --member '*.tsv' p.csv.gz
	assert_clean_success
	assert_output '{"a":1}'
}

@test "--add-source names the file, FILE(MEMBER) in an archive, and - for standard input" {
	write_members
	(cd m && zip -q ../a.zip one.csv two.ndjson)
	printf 'a\n7\n' >p.csv
	run --separate-stderr sh -c 'printf "{\"a\":8}\n" | ml-ingest --add-source src a.zip p.csv -'
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":2,"src":"a.zip(one.csv)"}
{"a":3,"b":4,"src":"a.zip(two.ndjson)"}
{"a":7,"src":"p.csv"}
{"a":8,"src":"-"}
EOF
}

@test "a compressed member of an archive is decompressed as the file it is" {
	write_members
	gzip -k m/one.csv
	(cd m && zip -q ../a.zip one.csv.gz two.ndjson)
	ingest --add-source src a.zip
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":2,"src":"a.zip(one.csv.gz)"}
{"a":3,"b":4,"src":"a.zip(two.ndjson)"}
EOF
}

@test "a broken compressed member names the archive, the member and the line" {
	mkdir m
	seq 1 100000 | awk 'BEGIN { print "n" } { print }' | gzip >full.gz
	head -c $(($(stat -c %s full.gz) / 2)) full.gz >m/half.csv.gz
	printf 'a\n1\n' >m/ok.csv
	tar -C m -cf a.tar half.csv.gz ok.csv
	ingest a.tar
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-ingest: a\.tar\(half\.csv\.gz\):[0-9]+: broken archive or compressed data: truncated gzip input$'
	line=${stderr#ml-ingest: a.tar(half.csv.gz):}
	line=${line%%:*}
	assert_equal "$line" $((${#lines[@]} + 2))
}

@test "an archive inside an archive is an error naming the member" {
	write_members
	tar -C m -cf m/inner.tar one.csv
	tar -C m -cf outer.tar two.ndjson inner.tar
	ingest outer.tar
	assert_trouble "outer.tar(inner.tar): an archive inside an archive is not read (exclude it with --member, or unpack it first)"
	assert_output '{"a":3,"b":4}'
	ingest --member '*.ndjson' outer.tar
	assert_clean_success
}

@test "a truncated tar is an error naming the file, the member and the line" {
	mkdir m
	seq 1 50000 | awk 'BEGIN { print "n" } { print }' >m/big.csv
	printf 'a\n1\n' >m/small.csv
	tar -C m -cf full.tar small.csv big.csv
	head -c $(($(stat -c %s full.tar) / 2)) full.tar >half.tar
	ingest half.tar
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-ingest: half\.tar\(big\.csv\):[0-9]+: broken archive or compressed data: '
	line=${stderr#ml-ingest: half.tar(big.csv):}
	line=${line%%:*}
	# small.csv gave one record, big.csv the records before the broken line
	assert_equal "$line" $((${#lines[@]} - 1 + 2))
}

@test "a tar cut inside a member's header is an error naming the file" {
	write_members
	tar -C m -cf full.tar one.csv two.ndjson
	head -c 1100 full.tar >cut.tar
	ingest cut.tar
	assert_equal "$status" 2
	assert_trouble_starts "cut.tar: broken archive after member 'one.csv': "
	assert_output '{"a":1,"b":2}'
}

@test "a rejected row of an archive member names the archive, the member and the line" {
	mkdir m
	printf 'a,b\n1,2\n3\n' >m/x.csv
	tar -C m -czf a.tgz x.csv
	ingest --reject rej.ndjson a.tgz
	assert_clean_success
	run jq -c '[.source, .member, .line, .reason, .raw]' rej.ndjson
	assert_output '["a.tgz","x.csv",3,"row has 1 field, the header has 2","3"]'
	ingest a.tgz
	assert_trouble "a.tgz(x.csv):3: row has 1 field, the header has 2"
}

@test "a compressed file's name gives its format under the compression suffix" {
	printf '{"a":1}\n' | gzip >json-lines.csv.gz
	ingest json-lines.csv.gz
	assert_trouble "json-lines.csv.gz:1: malformed CSV: a quote inside an unquoted field, or text after a closing quote"
	printf 'a;b\n1;2\n' | gzip >semi.ndjson.gz
	ingest semi.ndjson.gz
	assert_trouble_starts "semi.ndjson.gz:1: malformed JSON"
}

@test "a gzip of zeros is an error at line 1, not an empty archive" {
	head -c 1048576 /dev/zero | gzip >zeros.csv.gz
	cp zeros.csv.gz zeros.gz
	ingest zeros.csv.gz
	assert_trouble "zeros.csv.gz:1: binary data, not text: the first 4096 bytes are all NUL"
	ingest zeros.gz
	assert_trouble "zeros.gz:1: no data: an archive with no member, or zero bytes (an empty archive is read as one when its name says so: .tar, .tgz, .zip, ...)"
	run --separate-stderr sh -c 'ml-ingest <zeros.gz'
	assert_trouble_starts "<stdin>:1: no data: an archive with no member"
	printf '\0\0\0' >nul.csv
	ingest nul.csv
	assert_trouble "nul.csv:1: binary data, not text: the first 3 bytes are all NUL"
}

@test "an empty archive named as an archive gives no records and exits 0" {
	mkdir m
	tar -C m -czf empty.tar.gz .
	tar -czf none.tgz --files-from /dev/null
	ingest empty.tar.gz none.tgz
	assert_clean_success
	assert_output ""
}

@test "an empty .tar gives no records and exits 0, while NULs not named .tar are binary" {
	tar -cf empty.tar --files-from /dev/null
	ingest empty.tar
	assert_clean_success
	assert_output ""
	cp empty.tar empty.dat
	ingest empty.dat
	assert_trouble "empty.dat:1: binary data, not text: the first 4096 bytes are all NUL"
	run --separate-stderr sh -c 'ml-ingest <empty.tar'
	assert_trouble "<stdin>:1: binary data, not text: the first 4096 bytes are all NUL"
}

@test "a member name with control characters is escaped in messages and exact in JSON" {
	/usr/bin/python3 -c "
import zipfile
with zipfile.ZipFile('esc.zip', 'w') as z:
    z.writestr('e\x1b[31m\n\r\x07\x7f\x9b.csv', 'id,x\n8\n')"
	ingest esc.zip
	assert_equal "$status" 2
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$stderr" 'ml-ingest: esc.zip(e\x1b[31m\n\r\a\x7f\xc2\x9b.csv):2: row has 1 field, the header has 2'
	ingest --reject rej.ndjson esc.zip
	assert_clean_success
	run jq -ac .member rej.ndjson
	assert_output '"e\u001b[31m\n\r\u0007\u007f\u009b.csv"'
}

@test "a file name with control characters is escaped in messages" {
	printf 'a,b\n1\n' >"$(printf 'in\tx\033.csv')"
	ingest "$(printf 'in\tx\033.csv')"
	assert_trouble 'in\tx\x1b.csv:2: row has 1 field, the header has 2'
	printf 'a,b\n1\n' >"$(printf 'caf\351\\n.csv')"
	ingest "$(printf 'caf\351\\n.csv')"
	assert_trouble 'caf\xe9\n.csv:2: row has 1 field, the header has 2'
}

@test "a zip member with a UTF-8 name is read under that name, whatever the locale" {
	/usr/bin/python3 -c "
import zipfile
with zipfile.ZipFile('u8.zip', 'w') as z:
    z.writestr('caf\u00e9.csv', 'id\n7\n')"
	for locale in C POSIX C.UTF-8; do
		run --separate-stderr env LC_ALL=$locale ml-ingest --add-source src u8.zip
		assert_clean_success
		assert_output '{"id":7,"src":"u8.zip(café.csv)"}'
	done
	ingest --member 'caf?.csv' u8.zip
	assert_output '{"id":7}'
}

@test "a zip member whose name cannot be read is an error naming it by number, never skipped" {
	/usr/bin/python3 -c "
import zipfile
with zipfile.ZipFile('bad.zip', 'w') as z:
    z.writestr('ok.csv', 'id\n1\n')
    z.writestr('bad\u00e9.csv', 'id\n2\n')
d = open('bad.zip', 'rb').read().replace(b'bad\xc3\xa9', b'bad\xff\xfe')
open('bad.zip', 'wb').write(d)"
	ingest bad.zip
	assert_trouble_starts "bad.zip: member 2: its name cannot be read"
	assert_output '{"id":1}'
}

# --- bounds ---------------------------------------------------------------

# gz_rows MB: about MB MiB of "0,1" rows under a header, gzipped: 16 MiB
# made once and its gzip member repeated (gzip reads them as one stream).
gz_rows() {
	printf 'a,b\n' | gzip
	yes 0,1 | head -c 16777216 | gzip -9 >.rows.gz
	for _ in $(seq $(($1 / 16))); do cat .rows.gz; done
	rm -f .rows.gz
}

@test "--max-bytes stops a 1 GB gzip bomb quickly, writing no output file" {
	gz_rows 1024 >bomb.csv.gz
	[ "$(stat -c %s bomb.csv.gz)" -lt 4000000 ]
	run --separate-stderr timeout 60 ml-ingest --max-bytes 10M -o out.ndjson bomb.csv.gz
	assert_trouble "bomb.csv.gz: more than 10M bytes after decompression (--max-bytes)"
	assert_equal "$(ls -A | grep -c ndjson)" 0
}

@test "--max-bytes: an input of exactly SIZE bytes passes, one byte more stops" {
	awk 'BEGIN { printf "a,b\n"; for (i = 0; i < 255; i++) printf "1,2\n"; printf "12\n" }' >in.csv
	assert_equal "$(stat -c %s in.csv)" 1027
	head -c 1024 in.csv >k.csv
	ingest --max-bytes 1K k.csv
	assert_clean_success
	assert_equal "${#lines[@]}" 255
	head -c 1025 in.csv >k1.csv
	ingest --max-bytes 1K -o out.ndjson k1.csv
	assert_trouble "k1.csv: more than 1K bytes after decompression (--max-bytes)"
	assert [ ! -e out.ndjson ]
	gzip -k k.csv k1.csv
	ingest --max-bytes 1K k.csv.gz
	assert_clean_success
	ingest --max-bytes 1K k1.csv.gz
	assert_trouble "k1.csv.gz: more than 1K bytes after decompression (--max-bytes)"
}

@test "--max-bytes counts the members of an archive together, and each input apart" {
	mkdir m
	awk 'BEGIN { print "a"; for (i = 0; i < 300; i++) print i % 10 }' >m/one.csv
	cp m/one.csv m/two.csv
	tar -C m -czf a.tgz one.csv two.csv
	ingest --max-bytes 1K --member one.csv a.tgz m/two.csv
	assert_clean_success
	assert_equal "${#lines[@]}" 600
	ingest --max-bytes 1K a.tgz
	assert_trouble "a.tgz: more than 1K bytes after decompression (--max-bytes)"
	assert_equal "${#lines[@]}" 300
}

@test "a quoted row of many lines: memory grows with the row, rejects keep every line" {
	awk 'BEGIN { print "a,b"; printf "1,\"x"; for (i = 0; i < 20000; i++) print "line " i; print "end\",3"; print "4,5" }' >in.csv
	ingest --reject rej.ndjson in.csv
	assert_clean_success
	assert_output '{"a":4,"b":5}'
	run jq -r '.line, .reason, (.raw | split("\n") | length)' rej.ndjson
	assert_output - <<'EOF'
2
row has 3 fields, the header has 2
20001
EOF
	ingest in.csv
	assert_trouble "in.csv:2: row has 3 fields, the header has 2"
}

# --- several inputs -------------------------------------------------------

@test "several input files are read in order, each in its own format" {
	printf 'a\n1\n' >one.csv
	printf '{"a":2}\n' >two.ndjson
	printf '[{"a":3}]' >three.json
	printf 'a\n4\n' | gzip >four.csv.gz
	ingest one.csv two.ndjson three.json four.csv.gz
	assert_clean_success
	assert_output - <<'EOF'
{"a":1}
{"a":2}
{"a":3}
{"a":4}
EOF
}

@test "each CSV input has its own header" {
	printf 'a,b\n1,2\n' >one.csv
	printf 'b,c,d\n3,4,5\n' >two.csv
	ingest one.csv two.csv
	assert_clean_success
	assert_output - <<'EOF'
{"a":1,"b":2}
{"b":3,"c":4,"d":5}
EOF
}

# --- typing ---------------------------------------------------------------

@test "integers and decimals are numbers written exactly as in the source" {
	printf 'v\n1.50\n-0\n1e5\n1E-3\n-12.25e+10\n12345678901234567890\n0\n0.000\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"v":1.50}
{"v":-0}
{"v":1e5}
{"v":1E-3}
{"v":-12.25e+10}
{"v":12345678901234567890}
{"v":0}
{"v":0.000}
EOF
}

@test "true and false in three spellings are booleans, other spellings strings" {
	printf 'v\ntrue\nTrue\nTRUE\nfalse\nFalse\nFALSE\ntRUE\nyes\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"v":true}
{"v":true}
{"v":true}
{"v":false}
{"v":false}
{"v":false}
{"v":"tRUE"}
{"v":"yes"}
EOF
}

@test "the empty field and NA, N/A, null, NULL are null" {
	printf 'a,b,c,d,e,f\n,NA,N/A,null,NULL,na\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output '{"a":null,"b":null,"c":null,"d":null,"e":null,"f":"na"}'
}

@test "007, +1, .5, 1., 1e, NaN, Inf and - stay strings" {
	printf 'a,b,c,d,e,f,g,h,i\n007,+1,.5,1.,1e,NaN,Inf,-,0x1F\n' >in.csv
	ingest in.csv
	assert_clean_success
	assert_output '{"a":"007","b":"+1","c":".5","d":"1.","e":"1e","f":"NaN","g":"Inf","h":"-","i":"0x1F"}'
}

@test "--null replaces the null tokens" {
	printf 'a,b,c,d\n-,NA,,?\n' >in.csv
	ingest --null '-,?' in.csv
	assert_clean_success
	assert_output '{"a":null,"b":"NA","c":null,"d":null}'
	ingest --null '' in.csv
	assert_clean_success
	assert_output '{"a":"-","b":"NA","c":null,"d":"?"}'
}

@test "--string keeps the named fields strings; empty and null tokens stay null" {
	printf 'zip,n,ok,id\n01234,5,true,7\n,6,NA,8\n' >in.csv
	ingest --string zip,n --string ok in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"zip":"01234","n":"5","ok":"true","id":7}
{"zip":null,"n":"6","ok":null,"id":8}
EOF
}

@test "--string names a field by its name after --rename" {
	printf 'a,b\n1,2\n' >in.csv
	ingest --rename a=x --string x in.csv
	assert_clean_success
	assert_output '{"x":"1","b":2}'
}

@test "typing applies to TSV too" {
	printf 'a\tb\tc\td\n1.50\tTrue\tNA\t007\n' >in.tsv
	ingest in.tsv
	assert_clean_success
	assert_output '{"a":1.50,"b":true,"c":null,"d":"007"}'
}

# --- --schema -------------------------------------------------------------

@test "--schema forces integer, number, string and boolean" {
	printf 'zip,n,x,ok,other\n007,1,1.50,1,007\n8,-2,3e2,False,x\n9,,NA,0,\n' >in.csv
	ingest --schema "$FIX/schema.json" in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"zip":"007","n":1,"x":1.50,"ok":true,"other":"007"}
{"zip":"8","n":-2,"x":3e2,"ok":false,"other":"x"}
{"zip":"9","n":null,"x":null,"ok":false,"other":null}
EOF
}

@test "a value that does not fit its schema type is a row error with its place" {
	printf 'n,x,ok\n1,2,true\n1.0,2,true\n' >n.csv
	ingest --schema "$FIX/schema.json" n.csv
	assert_trouble "n.csv:3: column 'n': not an integer (as the schema requires)"
	printf 'n,x,ok\n1,abc,true\n' >x.csv
	ingest --schema "$FIX/schema.json" x.csv
	assert_trouble "x.csv:2: column 'x': not a number (as the schema requires)"
	printf 'n,x,ok\n1,2,yes\n' >b.csv
	ingest --schema "$FIX/schema.json" b.csv
	assert_trouble "b.csv:2: column 'ok': not a boolean (as the schema requires)"
}

@test "with --reject a schema mismatch is set aside and the rest goes on" {
	printf 'n,x\n1,2\nx,2\n3,4\n' >in.csv
	ingest --schema "$FIX/schema.json" --reject rej.ndjson in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"n":1,"x":2}
{"n":3,"x":4}
EOF
	run jq -c '[.line, .reason, .raw]' rej.ndjson
	assert_output '[3,"column '"'n'"': not an integer (as the schema requires)","x,2"]'
}

@test "a schema file that is not JSON is an error naming it" {
	printf 'a\n1\n' >in.csv
	printf '{"format": "mlpipe.schema",\n' >bad.json
	ingest --schema bad.json in.csv
	assert_trouble_starts "bad.json: not valid JSON: "
	assert_output ""
}

@test "a schema file of another format is an error naming it" {
	printf 'a\n1\n' >in.csv
	printf '{"format":"something.else","fields":{}}' >other.json
	ingest --schema other.json in.csv
	assert_trouble 'other.json: not an mlpipe schema ("format" is not "mlpipe.schema")'
	printf '[1,2]' >array.json
	ingest --schema array.json in.csv
	assert_trouble 'array.json: a schema is a JSON object'
	printf '{"format":"mlpipe.schema","fields":[]}' >fields.json
	ingest --schema fields.json in.csv
	assert_trouble 'fields.json: "fields" must be an object of field definitions'
}

@test "a schema with an unknown type is an error naming the file, field and type" {
	printf 'a\n1\n' >in.csv
	printf '{"format":"mlpipe.schema","fields":{"a":{"type":"float"}}}' >s.json
	ingest --schema s.json in.csv
	assert_trouble "s.json: field 'a': unknown type 'float' (integer, number, string, boolean)"
	assert_output ""
}

@test "a missing schema file is an error naming it" {
	printf 'a\n1\n' >in.csv
	ingest --schema nope.json in.csv
	assert_trouble "cannot open 'nope.json': No such file or directory"
}

# --- --fields, --rename, --add-source -------------------------------------

@test "--fields keeps the fields in the order given" {
	write_small_csv
	ingest --fields x,id small.csv
	assert_clean_success
	assert_output - <<'EOF'
{"x":0.5,"id":1}
{"x":1.50,"id":2}
{"x":-2,"id":3}
EOF
}

@test "--fields naming a column the header lacks is an error naming it" {
	write_small_csv
	ingest --fields id,nope small.csv
	assert_trouble "small.csv:1: no column 'nope' (from --fields) in the header"
	assert_output ""
}

@test "--string and --rename naming a column the header lacks are errors, as --fields is" {
	write_small_csv
	ingest --string nosuch small.csv
	assert_trouble "small.csv:1: no column 'nosuch' (from --string) in the header"
	assert_output ""
	ingest --rename name=who --string name small.csv
	assert_trouble "small.csv:1: no column 'name' (from --string) in the header (--string names a column after --rename)"
	ingest --rename nosuch=x small.csv
	assert_trouble "small.csv:1: no column 'nosuch' (from --rename) in the header"
	# in JSON records each has its own fields: one may lack them
	printf '{"a":1}\n' >in.ndjson
	ingest --string nosuch --rename b=c in.ndjson
	assert_clean_success
	assert_output '{"a":1}'
}

@test "--fields on NDJSON keeps the order given; a record without the field lacks it" {
	printf '{"a":1,"b":"x","c":[1]}\n{"c":2,"a":3}\n' >in.ndjson
	ingest --fields c,b in.ndjson
	assert_clean_success
	assert_output - <<'EOF'
{"c":[1],"b":"x"}
{"c":2}
EOF
}

@test "--rename is repeatable and takes comma-separated pairs" {
	write_small_csv
	ingest --rename id=ID --rename name=who,x=value small.csv
	assert_clean_success
	assert_line --index 0 '{"ID":1,"who":"ann","value":0.5}'
}

@test "--rename on NDJSON keeps every value's bytes" {
	printf '{"a":1.50,"b":"caf\\u00e9","c":null}\n' >in.ndjson
	ingest --rename a=alpha,c=gamma in.ndjson
	assert_clean_success
	assert_output '{"alpha":1.50,"b":"caf\u00e9","gamma":null}'
}

@test "--fields with --rename chooses by the old name and writes the new" {
	write_small_csv
	ingest --fields name,id --rename name=who small.csv
	assert_clean_success
	assert_line --index 0 '{"who":"ann","id":1}'
	printf '{"a":1,"b":2}\n' >in.ndjson
	ingest --fields b,a --rename a=A --add-source s in.ndjson
	assert_output '{"b":2,"A":1,"s":"in.ndjson"}'
}

@test "renaming a column to the name of another is an error, not a record with two" {
	printf 'a,b\n1,2\n' >in.csv
	ingest --rename a=b in.csv
	assert_trouble "in.csv:1: columns 'a' and 'b' would both be named \"b\" (check --rename)"
	assert_output ""
	# a swap is fine
	ingest --rename a=b,b=a in.csv
	assert_clean_success
	assert_output '{"b":1,"a":2}'
}

@test "--add-source naming an existing column is an error" {
	printf 'a,src\n1,2\n' >in.csv
	ingest --add-source src in.csv
	assert_trouble "in.csv:1: --add-source src: the records have a field 'src' already"
}

@test "a key an NDJSON or JSON record has twice is written once, where it last was, renamed or not" {
	printf '%s\n' '{"a":1,"b":2,"a":3}' '{"a":1, "\u0061":2}' '{"a":1, "b":2}' >in.ndjson
	ingest in.ndjson
	assert_clean_success
	assert_output "$(printf '%s\n' '{"b":2,"a":3}' '{"a":2}' '{"a":1, "b":2}')"
	ingest --rename a=z in.ndjson
	assert_clean_success
	assert_output "$(printf '%s\n' '{"b":2,"z":3}' '{"z":2}' '{"z":1,"b":2}')"
	printf '[{"a":1,"a":2}]\n' >in.json
	ingest --add-source s in.json
	assert_clean_success
	assert_output '{"a":2,"s":"in.json"}'
}

@test "in NDJSON a record that --rename or --add-source would give a name twice is rejected" {
	printf '{"a":1}\n{"a":1,"b":2}\n{"src":3}\n' >in.ndjson
	ingest --rename a=b --add-source src --reject rej.ndjson in.ndjson
	assert_clean_success
	assert_output '{"b":1,"src":"in.ndjson"}'
	run jq -c '[.line, .raw]' rej.ndjson
	assert_output - <<'EOF'
[2,"{\"a\":1,\"b\":2}"]
[3,"{\"src\":3}"]
EOF
	ingest --rename a=b in.ndjson
	assert_trouble "in.ndjson:2: the record would have two fields 'b' (it has one already; check --rename and --add-source)"
}

# --- bad input ------------------------------------------------------------

@test "a ragged row is an error naming the file and line; rows before it are written" {
	printf 'a,b\n1,2\n3\n4,5\n' >in.csv
	ingest in.csv
	assert_trouble "in.csv:3: row has 1 field, the header has 2"
	assert_output '{"a":1,"b":2}'
	printf 'a,b\n1,2,3\n' >long.csv
	ingest long.csv
	assert_trouble "long.csv:2: row has 3 fields, the header has 2"
}

@test "an unterminated quote is an error naming the line the row starts on" {
	printf 'a,b\n1,2\n3,"abc\ndef\n' >in.csv
	ingest in.csv
	assert_trouble "in.csv:3: unterminated quoted field (the row starts on line 3)"
	assert_output '{"a":1,"b":2}'
}

@test "a quote inside an unquoted field is an error with its line" {
	printf 'a,b\n1,x"y\n' >in.csv
	ingest in.csv
	assert_trouble "in.csv:2: malformed CSV: a quote inside an unquoted field, or text after a closing quote"
}

@test "text after a closing quote is an error with its line" {
	printf 'a,b\n1,2\n1,"ab"c\n' >in.csv
	ingest in.csv
	assert_trouble "in.csv:3: malformed CSV: a quote inside an unquoted field, or text after a closing quote"
}

@test "invalid UTF-8 in a value is an error naming the file, line and column" {
	printf 'a,b\n1,ok\n2,\xff\xfe\n' >in.csv
	ingest in.csv
	assert_trouble "in.csv:3: column 'b': invalid UTF-8"
	printf 'a,b\n1,"caf\xe9"\n' >quoted.csv
	ingest quoted.csv
	assert_trouble "quoted.csv:2: column 'b': invalid UTF-8"
}

@test "invalid UTF-8 in a header name is an error even with --reject" {
	printf '\na,\xffb\n1,2\n' >in.csv
	ingest in.csv
	assert_trouble "in.csv:2: invalid UTF-8 in the name of column 2"
	ingest --reject rej.ndjson in.csv
	assert_trouble "in.csv:2: invalid UTF-8 in the name of column 2"
	assert [ ! -e rej.ndjson ]
}

@test "with --reject bad rows go to the file with source, member, line, reason and raw text" {
	printf 'a,b\n1,2\n3\n4,x"y\n5,\xff\n6,"multi\nline\n7,8\n' >in.csv
	ingest --reject rej.ndjson in.csv
	assert_clean_success
	assert_output '{"a":1,"b":2}'
	assert_json_lines rej.ndjson
	run jq -c '[.source, .member, .line, .reason, .raw]' rej.ndjson
	assert_output - <<'EOF'
["in.csv",null,3,"row has 1 field, the header has 2","3"]
["in.csv",null,4,"malformed CSV: a quote inside an unquoted field, or text after a closing quote","4,x\"y"]
["in.csv",null,5,"column 'b': invalid UTF-8","5,�"]
["in.csv",null,6,"unterminated quoted field (the row starts on line 6)","6,\"multi\nline\n7,8"]
EOF
}

@test "with --reject a good multi-line row after a bad one is still read" {
	printf 'a,b\n1\n2,"x\ny"\n3,4\n' >in.csv
	ingest --reject rej.ndjson in.csv
	assert_clean_success
	assert_output - <<'EOF'
{"a":2,"b":"x\ny"}
{"a":3,"b":4}
EOF
	run jq -c '[.line, .raw]' rej.ndjson
	assert_output '[2,"1"]'
}

@test "-v reports rows read, records written and rows rejected" {
	printf 'a,b\n1,2\n3\n4,5\n6,7,8\n' >in.csv
	ingest -v --reject rej.ndjson in.csv
	assert_success
	assert_equal "$stderr" "ml-ingest: read 4 rows, wrote 2 records, rejected 2"
	ingest --verbose in.csv
	assert_equal "$status" 2
	assert_equal "${stderr_lines[1]}" "ml-ingest: read 2 rows, wrote 1 records, rejected 0"
}

# --- output ---------------------------------------------------------------

@test "-o writes the records to the file and nothing to standard output" {
	write_small_csv
	ingest -o out.ndjson small.csv
	assert_clean_success
	assert_output ""
	assert_bytes_equal small.expected out.ndjson
	assert_no_temp_files
	ingest --output out2.ndjson small.csv
	assert_bytes_equal small.expected out2.ndjson
}

@test "-o: a failed run leaves an existing file byte for byte as it was" {
	printf 'previous\ncontents\n' >out.ndjson
	cp out.ndjson before
	printf 'a,b\n1,2\n3\n' >bad.csv
	ingest -o out.ndjson bad.csv
	assert_trouble "bad.csv:3: row has 1 field, the header has 2"
	assert_bytes_equal before out.ndjson
	assert_no_temp_files
	ingest -o out.ndjson missing.csv
	assert_equal "$status" 2
	assert_bytes_equal before out.ndjson
	assert_no_temp_files
}

@test "--reject: a failed run leaves an existing reject file as it was" {
	printf 'old reject\n' >rej.ndjson
	cp rej.ndjson before
	printf 'a,b\n1\n' >in.csv
	printf '\xff\n1\n' >bad.csv
	ingest --reject rej.ndjson in.csv bad.csv
	assert_equal "$status" 2
	assert_bytes_equal before rej.ndjson
	assert_no_temp_files
}

@test "a full disk is an error: cannot write" {
	write_small_csv
	run --separate-stderr sh -c 'ml-ingest small.csv >/dev/full'
	assert_trouble "cannot write '<stdout>': No space left on device"
	printf 'a,b\n1\n' >bad.csv
	ingest --reject /dev/full bad.csv
	assert_trouble "cannot write '/dev/full': No space left on device"
}

@test "a reader that goes away (| head -1) stops ml-ingest quietly with exit 0" {
	seq 1 300000 | awk 'BEGIN { print "n,s" } { print $1 ",row" $1 }' >big.csv
	run --separate-stderr bash -c 'set -o pipefail; ml-ingest big.csv 2>err | head -1; echo "status ${PIPESTATUS[0]}"'
	assert_success
	assert_output - <<'EOF'
{"n":1,"s":"row1"}
status 0
EOF
	assert_equal "$(cat err)" ""
}

@test "every output line is one JSON object according to jq" {
	printf 'a,b,c\n"x\ny",1e5,"\\\\"\n"\t",-0,"\x01"\n"😀 é",007,"{}"\n' >in.csv
	printf '[{"k":"\\u0000"},{"k":[1,{"z":null}]}]' >in.json
	ml-ingest in.csv in.json "$FIX/rfc4180.csv" "$FIX/people.json" "$FIX/sample.svm" >out.ndjson
	assert_equal "$(nlines out.ndjson)" 13
	assert_json_lines out.ndjson
	run jq -c . out.ndjson
	assert_success
	run jq -e -s 'all(.[]; type == "object")' out.ndjson
	assert_success
}

# --- run log --------------------------------------------------------------

@test "the run log records the input's SHA-256 as stored (compressed) and the counters" {
	printf 'a,b\n1,2\n3\n4,5\n' | gzip >in.csv.gz
	ML_RUN_LOG=$BATS_TEST_TMPDIR/runs.ndjson ml-ingest --reject rej.ndjson in.csv.gz >out.ndjson
	assert_equal "$(nlines runs.ndjson)" 1
	run jq -r '.inputs[0].sha256' runs.ndjson
	assert_output "$(sha256_id in.csv.gz)"
	run jq -c '[.tool, .exit, .inputs[0].path, .inputs[0].bytes, .inputs[0].records, .counters]' runs.ndjson
	assert_output "[\"ml-ingest\",0,\"in.csv.gz\",$(stat -c %s in.csv.gz),3,{\"read\":3,\"written\":2,\"rejected\":1}]"
	run jq -r '.outputs[] | "\(.path) \(.sha256) \(.records)"' runs.ndjson
	assert_output - <<EOF
- $(sha256_id out.ndjson) 2
rej.ndjson $(sha256_id rej.ndjson) 1
EOF
}

@test "the run log hashes compressed standard input and every file of several" {
	printf '{"a":1}\n' | xz >in.xz
	write_members
	(cd m && zip -q ../a.zip one.csv two.ndjson)
	ML_RUN_LOG=$BATS_TEST_TMPDIR/runs.ndjson run --separate-stderr sh -c 'ml-ingest - a.zip <in.xz'
	assert_clean_success
	run jq -r '.inputs[] | "\(.path) \(.sha256) \(.records)"' runs.ndjson
	assert_output - <<EOF
- $(sha256_id in.xz) 1
a.zip $(sha256_id a.zip) 2
EOF
}

@test "--run-log FILE appends there; --no-run-log writes no record" {
	write_small_csv
	ingest --run-log log.ndjson small.csv
	assert_clean_success
	ingest --run-log log.ndjson small.csv
	assert_equal "$(nlines log.ndjson)" 2
	ML_RUN_LOG=$BATS_TEST_TMPDIR/env.ndjson ml-ingest --no-run-log small.csv >/dev/null
	assert [ ! -e env.ndjson ]
}

@test "the run log records a failed run with exit 2" {
	printf 'a,b\n1,2\n3\n' >bad.csv
	ML_RUN_LOG=$BATS_TEST_TMPDIR/runs.ndjson run ml-ingest bad.csv
	assert_equal "$status" 2
	run jq -c '[.exit, .counters.written]' runs.ndjson
	assert_output '[2,1]'
}

# --- randomized cross-check -----------------------------------------------

@test "random CSV files read the same as with Python's csv module" {
	for seed in 11 22 33 44 55; do
		/usr/bin/python3 "$FIX/csv_crosscheck.py" gen "$seed" "r$seed.csv"
		ingest "r$seed.csv"
		assert_clean_success
		printf '%s\n' "${lines[@]}" >"r$seed.ndjson"
		run /usr/bin/python3 "$FIX/csv_crosscheck.py" check "r$seed.csv" "r$seed.ndjson"
		assert_success
		assert_output ""
	done
}

@test "the cross-check itself catches a record that differs" {
	/usr/bin/python3 "$FIX/csv_crosscheck.py" gen 7 r.csv
	ml-ingest r.csv | awk 'NR == 4 { sub(/^[{]"col0":/, "{\"col0\":\"changed\",\"x\":") } 1' >r.ndjson
	ml-ingest r.csv >good.ndjson
	run ! cmp -s r.ndjson good.ndjson
	run /usr/bin/python3 "$FIX/csv_crosscheck.py" check r.csv r.ndjson
	assert_failure
	assert_output --partial "record 4"
}
