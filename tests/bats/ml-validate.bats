#!/usr/bin/env bats
# ml-validate: every rule kind, the reject and report streams against an
# independent reference, exit statuses, -o, bad schemas, bad usage, --infer.
#
# The reference is fixtures/validate/reference.py, run with Debian's python3:
# the rules of ml-validate(1) written out again over records read with
# Python's json module.  It generates 3,000 records with a known mix of
# violations (for fixtures/validate/mixed.schema.json) and checks the reject
# file, the report and the valid lines against its own findings.

load helper

setup_file() {
	reference gen 3000 7 >"$BATS_FILE_TMPDIR/mixed.ndjson"
}

setup() {
	ml_setup
	F=$BATS_TEST_DIRNAME/fixtures/validate
	MIXED=$BATS_FILE_TMPDIR/mixed.ndjson
}

reference() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/validate/reference.py" "$@"
}

# assert_reference CHECK ARGS...: the reference finds nothing wrong (what it
# finds is shown).
assert_reference() {
	run reference "$@"
	assert_success
	assert_output ""
}

# schema FIELDS [MEMBERS]: writes s.json, a schema of FIELDS (a JSON object)
# and the further top-level MEMBERS ("key":value,...).
schema() {
	printf '{"format":"mlpipe.schema","version":1,"fields":%s%s}\n' "$1" "${2:+,$2}" >s.json
}

# to_out CMD...: runs CMD with its standard output in out.ndjson.
to_out() {
	"$@" >out.ndjson
}

# check_lines LINE...: writes the LINEs to in.ndjson and validates them
# against s.json with every record allowed to fail: the valid records go to
# out.ndjson, the invalid ones to bad.ndjson.
check_lines() {
	printf '%s\n' "$@" >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --max-invalid 100% in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_json_lines bad.ndjson
}

# assert_passed N...: out.ndjson holds lines N... of in.ndjson, byte for byte.
assert_passed() {
	local n
	for n; do sed -n "${n}p" in.ndjson; done >want.ndjson
	assert_bytes_equal want.ndjson out.ndjson
}

# rejected: one line per line of bad.ndjson, "LINE rule:field rule:field...";
# an expectation is named by its text.
rejected() {
	jq -r '"\(.line) \([.errors[] | .rule + ":" + (.field // .expectation // "")] | join(" "))"' bad.ndjson
}

# assert_rejected LINE...: rejected gives exactly these lines.
assert_rejected() {
	assert_equal "$(rejected)" "$(printf '%s\n' "$@")"
}

# assert_schema_error PATTERN: the last run exited 2, wrote nothing on
# stdout, and its stderr starts "ml-validate: s.json: " and matches PATTERN.
assert_schema_error() {
	assert_equal "$status" 2 "status for $(cat s.json)"
	assert_equal "$output" ""
	assert_regex "$stderr" '^ml-validate: s\.json: '
	assert_regex "$stderr" "$1"
}

# summary REPORT: the report's first line, keys sorted.
summary() {
	head -1 "$1" | jq -Sc .
}

# --- types -------------------------------------------------------------------

@test "an integer field takes 3, 3.0, 3e2, -0 and 1E+2, and refuses 3.5, 1e400, strings, booleans, arrays and objects" {
	schema '{"n":{"type":"integer"}}'
	check_lines '{"n":3}' '{"n":3.0}' '{"n":3e2}' '{"n":-0}' '{"n":1E+2}' '{"n":-7}' \
		'{"n":3.5}' '{"n":1e400}' '{"n":"3"}' '{"n":true}' '{"n":[3]}' '{"n":{"v":3}}' \
		'{"n":0.1e1}' '{"n":2.5e-1}' '{"n":-1e-7}'
	assert_passed 1 2 3 4 5 6 13
	assert_rejected '7 type:n' '8 type:n' '9 type:n' '10 type:n' '11 type:n' '12 type:n' '14 type:n' '15 type:n'
	# the error gives the type-breaking value as it was written
	assert_equal "$(jq -c '.errors[0] | [.rule, .field, .value]' bad.ndjson | head -3)" \
		"$(printf '%s\n' '["type","n",3.5]' '["type","n",1.7976931348623157e+308]' '["type","n","3"]')"
	grep -qF '"value":1e400' bad.ndjson
}

@test "a number field takes integers, fractions and exponents, and refuses strings, booleans, arrays and objects" {
	schema '{"x":{"type":"number"}}'
	check_lines '{"x":0}' '{"x":-1.5}' '{"x":1e-300}' '{"x":12345678901234567890}' '{"x":2E+3}' \
		'{"x":"1"}' '{"x":false}' '{"x":[]}' '{"x":{}}'
	assert_passed 1 2 3 4 5
	assert_rejected '6 type:x' '7 type:x' '8 type:x' '9 type:x'
}

@test "a string field refuses numbers and booleans; a boolean field refuses 0, 1 and \"true\"" {
	schema '{"s":{"type":"string","required":false},"b":{"type":"boolean","required":false}}'
	check_lines '{"s":""}' '{"s":"1"}' '{"s":1}' '{"s":true}' '{"s":["a"]}' \
		'{"b":true}' '{"b":false}' '{"b":0}' '{"b":1}' '{"b":"true"}'
	assert_passed 1 2 6 7
	assert_rejected '3 type:s' '4 type:s' '5 type:s' '8 type:b' '9 type:b' '10 type:b'
}

@test "a field without a type takes any JSON value but null" {
	schema '{"v":{}}'
	check_lines '{"v":1}' '{"v":"a"}' '{"v":true}' '{"v":[1,{"k":null}]}' '{"v":{"k":1}}' '{"v":null}' '{"w":1}'
	assert_passed 1 2 3 4 5
	assert_rejected '6 nullable:v' '7 required:v'
}

# --- required and nullable -----------------------------------------------------

@test "an absent field breaks required, with no value, and no other rule of that field" {
	schema '{"age":{"type":"integer","min":18,"max":120},"opt":{"type":"string","required":false,"min_length":3}}'
	check_lines '{"age":30}' '{"x":1}' '{"age":40,"opt":"abc"}' '{"opt":"a"}'
	assert_passed 1 3
	assert_rejected '2 required:age' '4 required:age min_length:opt'
	run jq -c '.errors[0] | del(.message)' bad.ndjson
	assert_line --index 0 '{"rule":"required","field":"age"}'
	assert_line --index 1 '{"rule":"required","field":"age"}'
}

@test "null breaks nullable, with the value null; with nullable true a null passes every other rule of the field" {
	schema '{"a":{"type":"integer","min":5},"b":{"type":"string","nullable":true,"domain":["x"],"pattern":"^x$","min_length":3}}'
	check_lines '{"a":6,"b":null}' '{"a":null,"b":null}' '{"a":7,"b":"y"}'
	assert_passed 1
	assert_rejected '2 nullable:a' '3 domain:b pattern:b min_length:b'
	assert_equal "$(head -1 bad.ndjson | jq -c '.errors | map(del(.message))')" '[{"rule":"nullable","field":"a","value":null}]'
}

# --- ranges ----------------------------------------------------------------------

@test "min and max are inclusive; a value above max is rejected with the rule, the field, the raw value and the line" {
	schema '{"age":{"type":"integer","min":18,"max":120},"t":{"type":"number","min":-1.5,"max":2.5,"required":false}}'
	check_lines '{"age":18}' '{"age":120}' '{"age":17}' '{"age":121}' '{"age":130}' '{"age":1.3e2}' \
		'{"age":50,"t":-1.5}' '{"age":50,"t":2.5}' '{"age":50,"t":-1.5000001}' '{"age":50,"t":2.50000001}' \
		'{"age":1.2e2,"t":25e-1}'
	assert_passed 1 2 7 8 11
	assert_rejected '3 min:age' '4 max:age' '5 max:age' '6 max:age' '9 min:t' '10 max:t'
	assert_equal "$(sed -n 3p bad.ndjson | jq -c '.errors[0]')" \
		'{"rule":"max","field":"age","value":130,"message":"130 is greater than max 120"}'
	assert_equal "$(sed -n 1p bad.ndjson | jq -c '.errors[0] | [.rule, .field, .value]')" '["min","age",17]'
	# the value is the raw JSON text of the field
	assert_equal "$(grep -c '"value":1.3e2' bad.ndjson)" 1
	assert_equal "$(grep -c '"value":2.50000001' bad.ndjson)" 1
}

# --- domains -------------------------------------------------------------------

@test "a string domain takes only its values, compared as decoded text" {
	schema '{"g":{"type":"string","domain":["A","B","é"]}}'
	check_lines '{"g":"A"}' '{"g":"\u0041"}' '{"g":"é"}' '{"g":"\u00e9"}' '{"g":"a"}' '{"g":"A "}' '{"g":""}' '{"g":"B"}'
	assert_passed 1 2 3 4 8
	assert_rejected '5 domain:g' '6 domain:g' '7 domain:g'
}

@test "a number domain compares by value: 1 matches 1.0 and 1e0, 2.5 matches 2.50; a boolean domain takes its booleans" {
	schema '{"n":{"type":"number","domain":[1,2.5],"required":false},"i":{"type":"integer","domain":[1.0,2],"required":false},"b":{"type":"boolean","domain":[true],"required":false}}'
	check_lines '{"n":1}' '{"n":1.0}' '{"n":1e0}' '{"n":2.50}' '{"n":25e-1}' '{"n":3}' '{"n":1.0000001}' '{"n":-1}' \
		'{"i":1}' '{"i":2.0}' '{"i":3}' '{"b":true}' '{"b":false}'
	assert_passed 1 2 3 4 5 9 10 12
	assert_rejected '6 domain:n' '7 domain:n' '8 domain:n' '11 domain:i' '13 domain:b'
}

# --- patterns ------------------------------------------------------------------

@test "a pattern is a POSIX ERE, unanchored unless it says ^ and \$" {
	schema '{"u":{"type":"string","pattern":"[0-9]","required":false},
		"g":{"type":"string","pattern":"^(ab)+$","required":false},
		"c":{"type":"string","pattern":"^[[:digit:]]{3}$|^x$","required":false},
		"e":{"type":"string","pattern":"^A$","required":false}}'
	check_lines '{"u":"ab1c"}' '{"u":"abc"}' '{"g":"abab"}' '{"g":"aba"}' '{"g":"(ab)+"}' \
		'{"c":"123"}' '{"c":"1234"}' '{"c":"x"}' '{"c":"xx"}' '{"e":"\u0041"}' '{"e":"AA"}'
	assert_passed 1 3 6 8 10
	assert_rejected '2 pattern:u' '4 pattern:g' '5 pattern:g' '7 pattern:c' '9 pattern:c' '11 pattern:e'
}

@test "a pattern matches characters, not bytes: '.' and bracket expressions take one UTF-8 character, whatever the locale" {
	schema '{"d":{"type":"string","pattern":"^.b$","required":false},
		"k":{"type":"string","pattern":"^[éa]{2}$","required":false},
		"n":{"type":"string","pattern":"^[^x]$","required":false}}'
	for loc in C C.UTF-8 POSIX; do
		LC_ALL=$loc check_lines '{"d":"éb"}' '{"d":"日b"}' '{"d":"😀b"}' '{"d":"\u00e9b"}' '{"d":"xxb"}' \
			'{"k":"éa"}' '{"k":"éé"}' '{"k":"é"}' '{"n":"日"}' '{"n":"x"}'
		assert_passed 1 2 3 4 6 7 9
		assert_rejected '5 pattern:d' '8 pattern:k' '10 pattern:n'
	done
}

# --- lengths ---------------------------------------------------------------------

@test "min_length and max_length count characters, not bytes" {
	schema '{"s":{"type":"string","min_length":2,"max_length":3}}'
	check_lines '{"s":"é"}' '{"s":"😀"}' '{"s":"日本"}' '{"s":"日本語"}' '{"s":"😀😀😀"}' '{"s":"日本語x"}' \
		'{"s":"\ud83d\ude00\u00e9"}' '{"s":"ab"}' '{"s":"abcd"}' '{"s":"\u65e5\u672c\u8a9e\u65e5"}' '{"s":"a"}'
	assert_passed 3 4 5 7 8
	assert_rejected '1 min_length:s' '2 min_length:s' '6 max_length:s' '9 max_length:s' '10 max_length:s' '11 min_length:s'
}

# --- extra fields ----------------------------------------------------------------

@test "with extra_fields false each unlisted field breaks the rule, naming it; by default unlisted fields pass" {
	schema '{"a":{}}' '"extra_fields":false'
	check_lines '{"a":1}' '{"a":1,"b":2,"c":3}' '{"z":null,"a":1}'
	assert_passed 1
	assert_equal "$(jq -c '[.errors[] | [.rule, .field]] | sort' bad.ndjson)" \
		"$(printf '%s\n' '[["extra_fields","b"],["extra_fields","c"]]' '[["extra_fields","z"]]')"
	schema '{"a":{}}'
	check_lines '{"a":1}' '{"a":1,"b":2,"c":3}' '{"z":null,"a":1}'
	assert_passed 1 2 3
	schema '{"a":{}}' '"extra_fields":true'
	check_lines '{"a":1}' '{"a":1,"b":2,"c":3}' '{"z":null,"a":1}'
	assert_passed 1 2 3
}

# --- expectations ------------------------------------------------------------------

@test "an expectation holds when it yields values that are neither false nor null; false, null, no value and jq errors break it" {
	schema '{}' '"expectations":[".a > 1"]'
	check_lines '{"a":2}' '{"a":1}'
	assert_passed 1
	assert_equal "$(jq -c .errors bad.ndjson)" '[{"rule":"expectation","expectation":".a > 1","message":"false"}]'
	# 0 and "" are true for jq; null and an absent field are null
	schema '{}' '"expectations":[".a"]'
	check_lines '{"a":0}' '{"a":""}' '{"a":null}' '{}' '{"a":[]}'
	assert_passed 1 2 5
	assert_equal "$(jq -c .errors bad.ndjson)" \
		"$(printf '%s\n' '[{"rule":"expectation","expectation":".a","message":"null"}]' \
			'[{"rule":"expectation","expectation":".a","message":"null"}]')"
	# several values: all must hold; none is "no value"
	schema '{}' '"expectations":[".a[]"]'
	check_lines '{"a":[1,2]}' '{"a":[]}' '{"a":[1,false]}' '{"a":[null,1]}'
	assert_passed 1
	assert_equal "$(jq -r '.errors[0].message' bad.ndjson)" "$(printf '%s\n' 'no value' false null)"
	# a jq error breaks it, with the error's text
	schema '{}' '"expectations":[".s + 1"]'
	check_lines '{"s":1}' '{"s":"x"}'
	assert_passed 1
	assert_equal "$(jq -c '.errors[0] | [.rule, .expectation]' bad.ndjson)" '["expectation",".s + 1"]'
	assert_regex "$(jq -r '.errors[0].message' bad.ndjson)" '^jq error: .*cannot be added'
	# every expectation is checked, in order
	schema '{}' '"expectations":[".a > 0", "true", "select(.a > 0)", ".b == 2"]'
	check_lines '{"a":1,"b":2}' '{"a":0,"b":3}'
	assert_passed 1
	assert_rejected '2 expectation:.a > 0 expectation:select(.a > 0) expectation:.b == 2'
}

# --- duplicate keys and the order of errors --------------------------------------------

@test "a key given twice counts with its last value, as in jq, and the record still comes out as it was" {
	schema '{"a":{"type":"integer","max":100}}'
	check_lines '{"a":200,"a":5}' '{"a":5,"a":200}' '{"a":"x","a":1}' '{"a":1,"a":null}'
	assert_passed 1 3
	assert_rejected '2 max:a' '4 nullable:a'
	assert_equal "$(head -1 bad.ndjson | jq -c '.errors[0].value')" 200
}

@test "a record's errors come in check order: fields in schema order, each field's rules in order, extra fields, then expectations" {
	schema '{"z":{"type":"string","domain":["q"],"pattern":"^[0-9]+$","max_length":2},
		"a":{"type":"number","min":0,"max":10},"b":{},"c":{}}' \
		'"extra_fields":false,"expectations":[".z == 1","true",".nope"]'
	check_lines '{"x":1,"c":null,"a":11,"z":"abc"}' '{"z":"12","a":-1,"b":1,"c":1}'
	assert_rejected '1 domain:z pattern:z max_length:z max:a required:b nullable:c extra_fields:x expectation:.z == 1 expectation:.nope' \
		'2 domain:z min:a expectation:.z == 1 expectation:.nope'
}

# --- valid records unchanged ---------------------------------------------------------

@test "valid records come out as their exact bytes: spacing, key order, escapes and number forms kept; CR and blank lines dropped" {
	schema '{"a":{"type":"number","max":100},"b":{"type":"string","required":false}}'
	{
		printf '%s\n' '{"a" : 1 , "b":"x"}' '{"b":"\u00e9\u0041\/","a":1.50e+1}' '  {"a":2}  '
		printf '{"a":999,"b":"bad"}\n\n'
		printf '{\t"a":\t3 }\r\n'
		printf '   \n'
		printf '%s\n' '{"b":"日本 😀","a":-0.0,"a":4}' '{"a":1E2}' '{"a":101}'
	} >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --max-invalid 50% in.ndjson
	assert_success
	grep -v -e '"a":999' -e '"a":101' in.ndjson | sed 's/\r$//' | grep -v '^[[:space:]]*$' >want.ndjson
	assert_equal "$(nlines want.ndjson)" 6
	assert_bytes_equal want.ndjson out.ndjson
	assert_equal "$(jq .line bad.ndjson | tr '\n' ' ')" "4 10 "
}

# --- against the reference -------------------------------------------------------------

@test "3,000 generated records: stdout holds exactly the valid lines, the reject file each invalid one with every rule it broke, as the reference finds" {
	# (the data is copied here so that the reject file names it as given)
	cp "$MIXED" mixed.ndjson
	run --separate-stderr to_out ml-validate -s "$F/mixed.schema.json" --reject bad.ndjson --report rep.ndjson \
		--max-invalid 0.5 mixed.ndjson
	# the invalid share is allowed, but the data repeats a few ids: unique fails
	assert_failure 1
	assert_json_lines bad.ndjson
	assert_json_lines rep.ndjson
	assert_reference check "$F/mixed.schema.json" want.ndjson bad.ndjson rep.ndjson mixed.ndjson
	assert_bytes_equal want.ndjson out.ndjson
	# a sizeable mix: hundreds of invalid records, malformed lines among them
	assert_equal "$(summary rep.ndjson | jq '.invalid > 300 and .malformed > 5 and .valid > 1500')" true
	assert_equal "$(summary rep.ndjson | jq -c '[.max_invalid, .passed]')" '[0.5,false]'
	assert_equal "$(jq -c 'select(.kind == "dataset") | [.constraint, .passed]' rep.ndjson | tr '\n' ' ')" \
		'["unique",false] ["max_missing",true] ["max_invalid",true] '
}

@test "records from two files and stdin: each reject line and report place gives the line in its own file" {
	head -n 1700 "$MIXED" >a.ndjson
	tail -n +1701 "$MIXED" | head -n 800 >b.ndjson
	tail -n +2501 "$MIXED" >c.ndjson
	run --separate-stderr bash -c "ml-validate -s '$F/mixed.schema.json' --reject bad.ndjson --report rep.ndjson \
		--max-invalid 0.5 a.ndjson b.ndjson - <c.ndjson >out.ndjson"
	assert_failure 1
	# (the reference reads c.ndjson as <stdin>)
	assert_reference check "$F/mixed.schema.json" want.ndjson bad.ndjson rep.ndjson a.ndjson b.ndjson '<stdin>=c.ndjson'
	assert_bytes_equal want.ndjson out.ndjson
	assert_equal "$(jq -r .file bad.ndjson | uniq | tr '\n' ' ')" "a.ndjson b.ndjson <stdin> "
}

@test "each place in the reject file, the report and the summary names its own input file" {
	schema '{"a":{"type":"integer","max":5}}'
	printf '%s\n' '{"a":1}' '{"a":9}' >f1.ndjson
	printf '%s\n' '{"a":9}' 'oops' >f2.ndjson
	run --separate-stderr bash -c 'ml-validate -v -s s.json --reject bad.ndjson --report rep.ndjson f1.ndjson f2.ndjson - <f2.ndjson'
	assert_failure 1
	assert_equal "$(jq -c '[.file, .line]' bad.ndjson | tr '\n' ' ')" \
		'["f1.ndjson",2] ["f2.ndjson",1] ["f2.ndjson",2] ["<stdin>",1] ["<stdin>",2] '
	assert_equal "$(jq -c 'select(.rule == "max") | [.first[] | [.file, .line]]' rep.ndjson)" \
		'[["f1.ndjson",2],["f2.ndjson",1],["<stdin>",1]]'
	assert_equal "$(jq -c 'select(.rule == "malformed") | [.first[] | [.file, .line]]' rep.ndjson)" \
		'[["f2.ndjson",2],["<stdin>",2]]'
	# the summary on stderr (-v: --report alone keeps it quiet) names them too
	assert_regex "$stderr" 'a\.max: 3 \(lines f1\.ndjson:2, f2\.ndjson:1, <stdin>:1'
}

@test "with several inputs the summary names every place FILE:LINE, malformed lines and rules broken in one file only too" {
	schema '{"a":{"type":"integer","max":5}}'
	printf '%s\n' '{"a":1}' '{"a":9}' '{"a":"x"}' >f1.ndjson
	printf '%s\n' '{"a":9}' 'oops' '{"a":1}' >f2.ndjson
	run --separate-stderr ml-validate -s s.json --reject /dev/null f2.ndjson f1.ndjson
	assert_failure 1
	assert_equal "$stderr" "$(printf '%s\n' \
		'ml-validate: 6 records: 2 valid, 4 invalid (66.7%, allowed 0%)' \
		'ml-validate:   malformed: 1 (line f2.ndjson:2)' \
		'ml-validate:   a.type: 1 (line f1.ndjson:3)' \
		'ml-validate:   a.max: 2 (lines f2.ndjson:1, f1.ndjson:2)')"
	# one input: line numbers alone
	run --separate-stderr ml-validate -s s.json --reject /dev/null f2.ndjson
	assert_failure 1
	assert_regex "$stderr" 'malformed: 1 \(line 2\)'
}

@test "nothing is lost: records = valid + invalid, and output lines + reject lines = the non-blank input lines" {
	run --separate-stderr to_out ml-validate -s "$F/mixed.schema.json" --reject bad.ndjson --report rep.ndjson \
		--max-invalid 1 "$MIXED"
	assert_failure 1
	local n
	n=$(grep -cv '^[[:space:]]*$' "$MIXED")
	assert_equal "$(($(nlines out.ndjson) + $(nlines bad.ndjson)))" "$n"
	assert_equal "$(summary rep.ndjson | jq -c '[.records, .valid + .invalid, .valid, .invalid]')" \
		"[$n,$n,$(nlines out.ndjson),$(nlines bad.ndjson)]"
	# the records of the reject file and the output are the input's records
	{ jq -c .record bad.ndjson | grep -v '^null$'; jq -c . out.ndjson; } | sort >got
	reference records "$MIXED" | jq -c . | sort >want
	assert_bytes_equal want got
}

# --- the reject file ---------------------------------------------------------------

@test "a reject line gives file, line, errors and the record last, as its bytes; jq -c .record gives the invalid records back" {
	schema '{"age":{"type":"integer","max":120},"n":{"type":"string","required":false}}'
	printf '%s\n' '{"age":30}' '' '{"age" : 130 ,"n":"x"}' '{"age":40}' '{"age":1.3e2,"n":"\u00e9\"q"}' >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson in.ndjson
	assert_failure 1
	assert_json_lines bad.ndjson
	assert_equal "$(jq -c keys_unsorted bad.ndjson | sort -u)" '["file","line","errors","record"]'
	assert_equal "$(jq -c '[.file, .line]' bad.ndjson)" "$(printf '%s\n' '["in.ndjson",3]' '["in.ndjson",5]')"
	assert_equal "$(jq -c .record bad.ndjson)" "$(sed -n '3p;5p' in.ndjson | jq -c .)"
	# the record is the line's own bytes, not a re-encoding
	assert_equal "$(grep -cF ',"record":{"age" : 130 ,"n":"x"}}' bad.ndjson)" 1
	assert_equal "$(grep -cF ',"record":{"age":1.3e2,"n":"\u00e9\"q"}}' bad.ndjson)" 1
	# from standard input the file is <stdin>
	run --separate-stderr bash -c 'ml-validate -s s.json --reject bad.ndjson <in.ndjson >/dev/null'
	assert_failure 1
	assert_equal "$(jq -c '[.file, .line]' bad.ndjson)" "$(printf '%s\n' '["<stdin>",3]' '["<stdin>",5]')"
}

@test "a malformed line goes to the reject file with rule malformed, a message starting 'malformed JSON' and the line as text" {
	schema '{"a":{}}'
	printf '%s\n' '{"a":1}' '{"a": oops}' '[1,2]' '{"a":"q\"\\' '{"a":1} x' '{"a":2}' '"str"' >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --report rep.ndjson in.ndjson
	assert_failure 1
	assert_passed 1 6
	assert_json_lines bad.ndjson
	assert_equal "$(jq -c keys_unsorted bad.ndjson | sort -u)" '["file","line","errors","text"]'
	assert_equal "$(jq -c '[.file, .line, [.errors[].rule]]' bad.ndjson | tr '\n' ' ')" \
		'["in.ndjson",2,["malformed"]] ["in.ndjson",3,["malformed"]] ["in.ndjson",4,["malformed"]] ["in.ndjson",5,["malformed"]] ["in.ndjson",7,["malformed"]] '
	assert_equal "$(jq -r '.errors[0].message | startswith("malformed JSON")' bad.ndjson | sort -u)" true
	# the text is the line, whatever it holds
	assert_equal "$(jq -r .text bad.ndjson)" "$(sed -n '2,5p;7p' in.ndjson)"
	assert_equal "$(summary rep.ndjson | jq -c '[.records, .valid, .invalid, .malformed]')" '[7,2,5,5]'
	assert_equal "$(jq -c 'select(.rule == "malformed") | [.violations, .first]' rep.ndjson)" \
		'[5,[{"file":"in.ndjson","line":2},{"file":"in.ndjson","line":3},{"file":"in.ndjson","line":4},{"file":"in.ndjson","line":5},{"file":"in.ndjson","line":7}]]'
}

@test "a malformed line without --reject is trouble: exit 2 naming FILE:LINE" {
	schema '{"a":{}}'
	printf '%s\n' '{"a":1}' '' '{"a": oops}' '{"a":2}' >in.ndjson
	echo previous >out.ndjson
	cp out.ndjson before
	run --separate-stderr ml-validate -s s.json -o out.ndjson in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-validate: in\.ndjson:3: malformed JSON'
	assert_bytes_equal before out.ndjson
	assert_no_temp_files
	run --separate-stderr bash -c 'ml-validate -s s.json <in.ndjson'
	assert_equal "$status" 2
	assert_regex "$stderr" '^ml-validate: <stdin>:3: malformed JSON'
	# with a report, the report is not written either
	run --separate-stderr ml-validate -s s.json --report rep.ndjson in.ndjson
	assert_equal "$status" 2
	assert [ ! -s rep.ndjson ]
}

# --- the report --------------------------------------------------------------------

@test "the report's summary counts records, valid, invalid and malformed, with the share, the allowance and the schema file's sha256" {
	# pretty-printed, with trailing blanks: the hash is of the bytes
	printf '{\n  "format": "mlpipe.schema",  \n  "version": 1,\n  "fields": {"n": {"type": "integer"}}\n}\n\n' >s.json
	printf '%s\n' '{"n":1}' '{"n":2}' '{"n":"x"}' '{"n":3}' 'oops' '{"n":4}' '{"n":5}' '{"n":1.5}' '{"n":6}' '{"n":7}' >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --report rep.ndjson in.ndjson
	assert_failure 1
	assert_json_lines rep.ndjson
	assert_equal "$(summary rep.ndjson | jq -c 'del(.invalid_share)')" \
		"$(jq -Sc . <<<"{\"format\":\"mlpipe.validation\",\"version\":1,\"schema\":\"$(sha256_id s.json)\",\"records\":10,\"valid\":7,\"invalid\":3,\"malformed\":1,\"max_invalid\":0,\"passed\":false}")"
	assert_equal "$(summary rep.ndjson | jq '.invalid_share == 0.3')" true
	# with an allowance that covers it, the run passes
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --report rep.ndjson --max-invalid 30% in.ndjson
	assert_success
	assert_equal "$(summary rep.ndjson | jq -c '[.max_invalid, .passed]')" '[0.3,true]'
	assert_equal "$(tail -1 rep.ndjson | jq -c .)" '{"kind":"dataset","constraint":"max_invalid","limit":0.3,"measured":0.3,"passed":true}'
}

@test "the report has a line for every rule of the schema, in check order, with its limit, its count and the first 10 places" {
	schema '{"age":{"type":"integer","min":18,"max":120},
		"g":{"type":"string","required":false,"domain":["A","B"],"pattern":"^[A-Z]$","min_length":1,"max_length":1}}' \
		'"extra_fields":false,"expectations":[".age >= 0"]'
	for i in $(seq 30); do
		if [ $((i % 2)) = 0 ]; then
			echo '{"age":130}'
		elif [ "$i" = 7 ]; then
			echo '{"age":30,"g":"Z"}'
		else
			echo '{"age":30}'
		fi
	done >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --report rep.ndjson in.ndjson
	assert_failure 1
	assert_json_lines rep.ndjson
	# rule lines in check order (required and nullable are checked with the others)
	assert_equal "$(jq -r 'select(.kind == "rule") | select(.rule != "required" and .rule != "nullable")
		| .rule + ":" + (.field // .expectation // "")' rep.ndjson | tr '\n' ' ')" \
		"malformed: type:age min:age max:age type:g domain:g pattern:g min_length:g max_length:g extra_fields: expectation:.age >= 0 "
	assert_equal "$(jq -r 'select(.kind == "rule") | .rule + ":" + (.field // "")' rep.ndjson | grep -n . | grep -E 'required:age|nullable:age|type:age' | cut -d: -f1 | tr '\n' ' ')" \
		"2 3 4 "
	assert_equal "$(jq -c 'select(.kind == "rule" and .rule == "malformed")' rep.ndjson)" \
		'{"kind":"rule","rule":"malformed","violations":0,"first":[]}'
	assert_equal "$(jq -c 'select(.kind == "rule" and .rule != "nullable")
		| select(.field == "age" or (.field == "g" and .rule != "required")) | [.rule, .limit, .violations]' rep.ndjson | tr '\n' ' ')" \
		'["required",true,0] ["type","integer",0] ["min",18,0] ["max",120,15] ["type","string",0] ["domain",["A","B"],1] ["pattern","^[A-Z]$",0] ["min_length",1,0] ["max_length",1,0] '
	assert_equal "$(jq -c 'select(.rule == "max") | .first' rep.ndjson)" \
		"$(seq 2 2 20 | jq -sc 'map({"file":"in.ndjson","line":.})')"
	assert_equal "$(jq -c 'select(.rule == "domain") | .first' rep.ndjson)" '[{"file":"in.ndjson","line":7}]'
	assert_equal "$(jq -c 'select(.rule == "expectation")' rep.ndjson)" \
		'{"kind":"rule","rule":"expectation","expectation":".age >= 0","violations":0,"first":[]}'
	assert_equal "$(jq -c 'select(.rule == "extra_fields") | [.violations, .first]' rep.ndjson)" '[0,[]]'
	# the summary comes first, the dataset lines last
	assert_equal "$(jq -r '.kind // "summary"' rep.ndjson | uniq | tr '\n' ' ')" "summary rule dataset "
	assert_equal "$(summary rep.ndjson | jq -c '[.records, .invalid, .passed]')" '[30,16,false]'
}

@test "records.min and records.max count every non-blank line, malformed ones too" {
	schema '{"a":{}}' '"records":{"min":5,"max":6}'
	printf '%s\n' '{"a":1}' '{"a":2}' '' 'oops' '{"a":3}' '{"a":4}' >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --report rep.ndjson --max-invalid 0.5 in.ndjson
	assert_success
	assert_equal "$(jq -Sc 'select(.kind == "dataset")' rep.ndjson | head -2)" \
		"$(printf '%s\n' '{"constraint":"records.min","kind":"dataset","limit":5,"measured":5,"passed":true}' \
			'{"constraint":"records.max","kind":"dataset","limit":6,"measured":5,"passed":true}')"
	# too few
	sed 1d in.ndjson >few.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --report rep.ndjson --max-invalid 0.5 few.ndjson
	assert_failure 1
	assert_equal "$(jq -c 'select(.constraint == "records.min") | [.measured, .passed]' rep.ndjson)" '[4,false]'
	assert_equal "$(summary rep.ndjson | jq .passed)" false
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --max-invalid 0.5 few.ndjson
	assert_failure 1
	assert_regex "$stderr" 'dataset records\.min: 4 < 5: failed'
	# too many
	{ cat in.ndjson; echo '{"a":5}'; echo '{"a":6}'; } >many.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --report rep.ndjson --max-invalid 0.5 many.ndjson
	assert_failure 1
	assert_equal "$(jq -c 'select(.constraint == "records.max") | [.measured, .passed]' rep.ndjson)" '[7,false]'
}

@test "max_missing counts null and absent among the well-formed records, valid or not, and fails the run above its limit" {
	schema '{"k":{"type":"integer"},"inc":{"type":"number","required":false,"nullable":true,"max_missing":0.25}}'
	printf '%s\n' '{"k":1,"inc":1}' '{"k":1,"inc":null}' '{"k":1}' '{"k":1,"inc":2}' '{"k":"x","inc":3}' \
		'{"k":1,"inc":4}' 'oops' '{"k":1,"inc":5}' '{"k":1,"inc":6}' >in.ndjson
	# 2 missing of 8 well-formed records: 0.25
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --report rep.ndjson --max-invalid 0.5 in.ndjson
	assert_success
	assert_equal "$(jq -Sc 'select(.constraint == "max_missing")' rep.ndjson)" \
		'{"constraint":"max_missing","field":"inc","kind":"dataset","limit":0.25,"measured":0.25,"passed":true}'
	# 3 of 9: too many
	echo '{"k":2}' >>in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --report rep.ndjson --max-invalid 0.5 in.ndjson
	assert_failure 1
	assert_equal "$(jq -c 'select(.constraint == "max_missing") | [.passed, (.measured * 1e6 | round)]' rep.ndjson)" '[false,333333]'
	assert_equal "$(summary rep.ndjson | jq -c '[.invalid, .passed]')" '[2,false]'
}

@test "unique counts the records whose value was seen before (1 and 1.0 equal, escaped text equal), with their places" {
	schema '{"id":{"unique":true,"required":false,"nullable":true}}'
	printf '%s\n' '{"id":1}' '{"id":2}' '{"id":1.0}' '{"id":"a"}' '{"id":"\u0061"}' '{"id":"1"}' '{"id":null}' \
		'{"id":null}' '{}' '{}' '{"id":1e0}' '{"id":true}' '{"id":true}' '{"id":false}' >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --report rep.ndjson in.ndjson
	assert_failure 1
	assert_equal "$(jq -Sc 'select(.constraint == "unique")' rep.ndjson)" \
		'{"constraint":"unique","field":"id","first":[{"file":"in.ndjson","line":3},{"file":"in.ndjson","line":5},{"file":"in.ndjson","line":11},{"file":"in.ndjson","line":13}],"kind":"dataset","limit":true,"measured":4,"passed":false}'
	# every record is valid: only the dataset failed
	assert_equal "$(summary rep.ndjson | jq -c '[.valid, .invalid, .passed]')" '[14,0,false]'
	# distinct values pass
	sed -n '1,2p;4p;6,10p;12p;14p' in.ndjson >distinct.ndjson
	run --separate-stderr to_out ml-validate -s s.json distinct.ndjson
	assert_success
	assert_bytes_equal distinct.ndjson out.ndjson
}

@test "dataset lines come in schema order: records first, then max_missing and unique per field, the invalid share last" {
	schema '{"a":{"unique":true,"max_missing":0.5,"required":false},"b":{"max_missing":1,"required":false},"c":{"unique":true,"required":false}}' \
		'"records":{"min":1,"max":10}'
	printf '%s\n' '{"a":1,"b":1,"c":1}' '{"a":2}' >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --report rep.ndjson in.ndjson
	assert_success
	assert_equal "$(jq -r 'select(.kind == "dataset") | .constraint + ":" + (.field // "")' rep.ndjson | tr '\n' ' ')" \
		"records.min: records.max: max_missing:a unique:a max_missing:b unique:c max_invalid: "
}

# --- exit status and the summary on stderr ------------------------------------------------

@test "exit 0 when every record is valid, with nothing on stderr; exit 1 when one is not, with a summary on stderr" {
	gen_records 1000 >in.ndjson
	schema '{"id":{"type":"integer","min":1,"max":990}}' '"expectations":[".id < 999"]'
	run --separate-stderr to_out ml-validate -s s.json in.ndjson
	assert_failure 1
	# as ml-validate(1) shows it
	assert_equal "${stderr_lines[0]}" "ml-validate: 1000 records: 990 valid, 10 invalid (1.0%, allowed 0%)"
	assert_regex "$stderr" $'\n''ml-validate:   id\.max: 10 \(lines 991, 992, 993'
	assert_regex "$stderr" $'\n'"ml-validate:   expectation '\.id < 999': 2 \(lines 999, 1000"
	schema '{"id":{"type":"integer","min":1,"max":1000}}'
	run --separate-stderr to_out ml-validate -s s.json in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_bytes_equal in.ndjson out.ndjson
	# -v: the summary always
	run --separate-stderr to_out ml-validate -v -s s.json in.ndjson
	assert_success
	assert_regex "${stderr_lines[0]}" '^ml-validate: 1000 records: 1000 valid, 0 invalid \(0(\.0)?%, allowed 0%\)$'
}

@test "with --report a failed run keeps stderr quiet: the report says it all" {
	gen_records 100 >in.ndjson
	schema '{"id":{"type":"integer","max":90}}'
	run --separate-stderr to_out ml-validate -s s.json --report rep.ndjson in.ndjson
	assert_failure 1
	assert_equal "$stderr" ""
	assert_equal "$(jq -c 'select(.rule == "max") | .violations' rep.ndjson)" 10
}

@test "--max-invalid takes a fraction or a percentage, and a share at the limit passes" {
	schema '{"id":{"type":"integer","max":95}}'
	gen_records 100 >in.ndjson
	for ok in 0.05 5% 0.5 100% 1; do
		run --separate-stderr to_out ml-validate -s s.json --max-invalid "$ok" in.ndjson
		assert_success
		assert_equal "$stderr" ""
		head -n 95 in.ndjson >want.ndjson
		assert_bytes_equal want.ndjson out.ndjson
	done
	for fail in 0.04 4% 4.99% 0.0499 0; do
		run --separate-stderr to_out ml-validate -s s.json --max-invalid "$fail" in.ndjson
		assert_failure 1
	done
	run --separate-stderr to_out ml-validate -s s.json --max-invalid 5% --report rep.ndjson in.ndjson
	assert_equal "$(summary rep.ndjson | jq -c '[.max_invalid, .invalid_share, .passed]')" '[0.05,0.05,true]'
	for bad in abc -0.1 1.5 101% 5%% ""; do
		run --separate-stderr ml-validate -s s.json --max-invalid "$bad" in.ndjson
		assert_usage_error ml-validate
	done
}

@test "--max-invalid and --margin take decimal numbers only: hexadecimal, inf, nan and blanks are usage errors" {
	schema '{"id":{"type":"integer","max":95}}'
	gen_records 100 >in.ndjson
	for bad in 0x1 0X1p-1 0x1% inf nan infinity ' 1' '1 ' 1e400; do
		run --separate-stderr ml-validate -s s.json --max-invalid "$bad" in.ndjson
		assert_usage_error ml-validate
		assert_regex "${stderr_lines[0]}" "^ml-validate: --max-invalid: '.*' is not a number$"
		run --separate-stderr ml-validate --infer --margin "$bad" in.ndjson
		assert_usage_error ml-validate
	done
	for ok in .05 5e-2 +0.05 5.0%; do
		run --separate-stderr to_out ml-validate -s s.json --max-invalid "$ok" in.ndjson
		assert_success
	done
}

# --- output files -------------------------------------------------------------------

@test "-o FILE gets the valid records on exit 0 and is left as it was on exit 1, while --reject and --report are written" {
	schema '{"id":{"type":"integer","max":95}}'
	gen_records 100 >in.ndjson
	echo previous >out.ndjson
	cp out.ndjson before
	run --separate-stderr ml-validate -s s.json -o out.ndjson --reject bad.ndjson --report rep.ndjson in.ndjson
	assert_failure 1
	assert_equal "$output" ""
	assert_bytes_equal before out.ndjson
	assert_equal "$(nlines bad.ndjson)" 5
	assert_equal "$(summary rep.ndjson | jq .invalid)" 5
	assert_no_temp_files
	# a file that was not there is not made
	run --separate-stderr ml-validate -s s.json -o new.ndjson in.ndjson
	assert_failure 1
	assert [ ! -e new.ndjson ]
	assert_no_temp_files
	# on exit 0 it is replaced
	run --separate-stderr ml-validate -s s.json --output out.ndjson --max-invalid 5% in.ndjson
	assert_success
	assert_equal "$output" ""
	head -n 95 in.ndjson >want.ndjson
	assert_bytes_equal want.ndjson out.ndjson
	assert_no_temp_files
}

@test "--report - writes the report on stdout, which is allowed only when -o takes the records" {
	schema '{"id":{"type":"integer"}}'
	gen_records 10 >in.ndjson
	run --separate-stderr ml-validate -s s.json --report - in.ndjson
	assert_usage_error ml-validate
	assert_regex "$stderr" '--report -: standard output already carries the records'
	run --separate-stderr to_out ml-validate -s s.json -o valid.ndjson --report - in.ndjson
	assert_success
	assert_json_lines out.ndjson
	assert_equal "$(summary out.ndjson | jq -c '[.format, .records, .passed]')" '["mlpipe.validation",10,true]'
	assert_bytes_equal in.ndjson valid.ndjson
}

@test "no records at all pass with a share of 0, unless records.min asks for some" {
	schema '{"id":{"type":"integer"}}'
	: >empty.ndjson
	run --separate-stderr to_out ml-validate -s s.json --report rep.ndjson empty.ndjson
	assert_success
	assert [ ! -s out.ndjson ]
	assert_equal "$(summary rep.ndjson | jq -c '[.records, .valid, .invalid, .invalid_share, .passed]')" '[0,0,0,0,true]'
	schema '{"id":{"type":"integer"}}' '"records":{"min":1}'
	run --separate-stderr to_out ml-validate -s s.json </dev/null
	assert_failure 1
}

# --- schemas ------------------------------------------------------------------------

@test "a pretty-printed schema with descriptions and CRLF line ends is read" {
	printf '{\r\n  "format" : "mlpipe.schema",\r\n\t"version": 1,\r\n  "description": "people",\r\n  "fields": {\r\n    "age": {\r\n      "type": "integer",\r\n      "description": "in years",\r\n      "min": 0\r\n    }\r\n  }\r\n}\r\n' >s.json
	printf '%s\n' '{"age":3}' '{"age":-3}' >in.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson --max-invalid 1 in.ndjson
	assert_success
	assert_passed 1
	assert_rejected '2 min:age'
	run --separate-stderr to_out ml-validate --schema s.json in.ndjson
	assert_failure 1
}

@test "a schema that is not JSON is refused with libjq's message, which gives the line and column" {
	printf '{\n  "format": "mlpipe.schema",\n  "version": 1,\n  "fields": {"a": }\n}\n' >s.json
	echo '{"a":1}' >in.ndjson
	run --separate-stderr ml-validate -s s.json in.ndjson
	assert_schema_error 'line [0-9]+, column [0-9]+'
	for text in '' '{"format":"mlpipe.schema"' '[]' '"mlpipe.schema"' '{"format":"mlpipe.schema","version":1,"fields":{}} {}'; do
		printf '%s' "$text" >s.json
		run --separate-stderr ml-validate -s s.json in.ndjson
		assert_schema_error .
	done
}

@test "a schema of another format or version is refused" {
	echo '{"a":1}' >in.ndjson
	for doc in '{"format":"mlpipe.profile","version":1,"fields":{}}' '{"version":1,"fields":{}}' \
		'{"format":"mlpipe.schema","version":2,"fields":{}}' '{"format":"mlpipe.schema","version":"1","fields":{}}' \
		'{"format":"mlpipe.schema","fields":{}}'; do
		echo "$doc" >s.json
		run --separate-stderr ml-validate -s s.json in.ndjson
		case $doc in
		*profile* | '{"version"'*) assert_schema_error 'format' ;;
		*) assert_schema_error 'version' ;;
		esac
	done
}

@test "each bad part of a schema is refused at start, naming the schema file and the place" {
	echo '{"a":1}' >in.ndjson
	# PATTERN<TAB>FIELDS<TAB>MEMBERS
	while IFS=$'\t' read -r pattern fields members; do
		[ -n "$pattern" ] || continue
		schema "$fields" "$members"
		run --separate-stderr ml-validate -s s.json in.ndjson
		assert_schema_error "$pattern"
	done <<'EOF'
^ml-validate: s\.json: (.*: )?unknown key 'colour'	{}	"colour":"red"
^ml-validate: s\.json: fields\.age: unknown key 'maxx'$	{"age":{"type":"integer","maxx":3}}	
^ml-validate: s\.json: fields\.age\.type: 	{"age":{"type":"int"}}	
^ml-validate: s\.json: fields\.age\.type: 	{"age":{"type":"null"}}	
^ml-validate: s\.json: fields\.age: min 10 is greater than max 5$	{"age":{"type":"integer","min":10,"max":5}}	
^ml-validate: s\.json: fields\.age\.min: not a number	{"age":{"type":"integer","min":"18"}}	
^ml-validate: s\.json: fields\.age\.max: 	{"age":{"type":"number","max":null}}	
^ml-validate: s\.json: fields\.name(\.min: |: .*min)	{"name":{"type":"string","min":1}}	
^ml-validate: s\.json: fields\.ok(\.max: |: .*max)	{"ok":{"type":"boolean","max":1}}	
^ml-validate: s\.json: fields\.v(\.min: |: .*min)	{"v":{"min":1}}	
^ml-validate: s\.json: fields\.v(\.domain: |: .*domain)	{"v":{"domain":[1]}}	
^ml-validate: s\.json: fields\.n(\.pattern: |: .*pattern)	{"n":{"type":"number","pattern":"^1"}}	
^ml-validate: s\.json: fields\.n(\.max_length: |: .*max_length)	{"n":{"type":"integer","max_length":3}}	
^ml-validate: s\.json: fields\.c\.pattern: .*Unmatched \( or \\\(	{"c":{"type":"string","pattern":"a(b"}}	
^ml-validate: s\.json: fields\.c\.pattern: .*Invalid preceding regular expression	{"c":{"type":"string","pattern":"*x"}}	
^ml-validate: s\.json: fields\.c\.pattern: 	{"c":{"type":"string","pattern":1}}	
^ml-validate: s\.json: fields\.g\.domain	{"g":{"type":"string","domain":"A"}}	
^ml-validate: s\.json: fields\.g\.domain	{"g":{"type":"string","domain":[]}}	
^ml-validate: s\.json: fields\.g\.domain	{"g":{"type":"string","domain":["A",1]}}	
^ml-validate: s\.json: fields\.n\.domain	{"n":{"type":"integer","domain":[1,"2"]}}	
^ml-validate: s\.json: fields\.b\.domain	{"b":{"type":"boolean","domain":["true"]}}	
^ml-validate: s\.json: fields\.s\.max_length	{"s":{"type":"string","max_length":-1}}	
^ml-validate: s\.json: fields\.s\.min_length	{"s":{"type":"string","min_length":1.5}}	
^ml-validate: s\.json: fields\.x\.max_missing	{"x":{"type":"number","max_missing":1.5}}	
^ml-validate: s\.json: fields\.x\.max_missing	{"x":{"type":"number","max_missing":-0.1}}	
^ml-validate: s\.json: fields\.a\.required	{"a":{"required":"yes"}}	
^ml-validate: s\.json: fields\.a\.nullable	{"a":{"nullable":1}}	
^ml-validate: s\.json: fields\.a\.unique	{"a":{"unique":"no"}}	
^ml-validate: s\.json: fields\.a	{"a":3}	
^ml-validate: s\.json: fields	[]	
^ml-validate: s\.json: extra_fields	{}	"extra_fields":"no"
^ml-validate: s\.json: records	{}	"records":{"min":10,"max":5}
^ml-validate: s\.json: records\.min	{}	"records":{"min":-1}
^ml-validate: s\.json: records\.max	{}	"records":{"max":2.5}
^ml-validate: s\.json: expectations	{}	"expectations":".a > 1"
^ml-validate: s\.json: expectations\[1\]	{}	"expectations":[".a > 1", 3]
^ml-validate: s\.json: expectations\[1\]: jq: error.*compile error	{}	"expectations":[".a > 1", ".a >>>= 3"]
^ml-validate: s\.json: expectations\[0\]: jq: error.*compile error	{}	"expectations":["1 as"]
EOF
	# "fields" is required
	echo '{"format":"mlpipe.schema","version":1}' >s.json
	run --separate-stderr ml-validate -s s.json in.ndjson
	assert_schema_error 'fields'
}

@test "a schema file that cannot be read is trouble naming it" {
	echo '{"a":1}' >in.ndjson
	run --separate-stderr ml-validate -s nope.json in.ndjson
	assert_usage_error ml-validate
	assert_regex "$stderr" "'?nope\.json'?"
	mkdir dir.json
	run --separate-stderr ml-validate -s dir.json in.ndjson
	assert_usage_error ml-validate
	assert_regex "$stderr" "dir\.json"
}

# --- usage ----------------------------------------------------------------------

@test "without --schema or --infer the program says how to give a schema" {
	gen_records 3 >in.ndjson
	run --separate-stderr ml-validate in.ndjson
	assert_usage_error ml-validate
	assert_equal "${stderr_lines[0]}" "ml-validate: no schema: give --schema FILE, or --infer to write one"
}

@test "--schema with --infer, --margin or --max-domain without --infer, and --reject, --report or --max-invalid with --infer are usage errors" {
	gen_records 3 >in.ndjson
	schema '{}'
	for args in "-s s.json --infer" "--schema s.json --infer" "-s s.json --margin 0.1" "-s s.json --max-domain 5" \
		"--infer --reject r.ndjson" "--infer --report r.ndjson" "--infer --max-invalid 0.1" \
		"--infer --margin x" "--infer --max-domain -1" "--infer --max-domain x" "--infer --schema"; do
		# shellcheck disable=SC2086
		run --separate-stderr ml-validate $args in.ndjson
		assert_usage_error ml-validate
	done
	assert [ ! -e r.ndjson ]
}

@test "--help describes the options and --version names the program" {
	run --separate-stderr ml-validate --help
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --regexp '^Usage: ml-validate '
	for opt in --schema --reject --report --max-invalid --output --infer --margin --max-domain; do
		assert_output --partial -- "$opt"
	done
	run --separate-stderr ml-validate --version
	assert_success
	assert_output --regexp '^ml-validate \(mlpipe\) [0-9]+\.[0-9]+'
}

# --- the run log ---------------------------------------------------------------------

@test "the run log gives the schema, its sha256 and the allowance, the counters, and every file written" {
	schema '{"id":{"type":"integer","max":95}}'
	{ gen_records 100; echo oops; } >in.ndjson
	ML_RUN_LOG=runs.ndjson ml-validate -s s.json --max-invalid 0.5 --reject bad.ndjson --report rep.ndjson \
		-o out.ndjson in.ndjson
	assert_json_lines runs.ndjson
	assert_equal "$(jq -c '[.tool, .exit, .params.schema, .params.max_invalid]' runs.ndjson)" '["ml-validate",0,"s.json",0.5]'
	assert_equal "$(jq --arg h "$(sha256_id s.json)" '[.params[]] | index($h) != null' runs.ndjson)" true
	assert_equal "$(jq -c '.counters | [.records, .valid, .invalid, .malformed]' runs.ndjson)" '[101,95,6,1]'
	assert_equal "$(jq -c '[.inputs[] | .path]' runs.ndjson)" '["in.ndjson"]'
	assert_equal "$(jq -c '[.outputs[] | .path] | sort' runs.ndjson)" '["bad.ndjson","out.ndjson","rep.ndjson"]'
	assert_equal "$(jq -r '.outputs[] | select(.path == "out.ndjson") | .sha256' runs.ndjson)" "$(sha256_id out.ndjson)"
	assert_equal "$(jq -r '.outputs[] | select(.path == "bad.ndjson") | .sha256' runs.ndjson)" "$(sha256_id bad.ndjson)"
	# a failed check is logged with exit 1
	rm runs.ndjson
	run env ML_RUN_LOG=runs.ndjson ml-validate -s s.json --reject bad.ndjson in.ndjson
	assert_failure 1
	assert_equal "$(jq .exit runs.ndjson)" 1
}

# --- --infer -----------------------------------------------------------------------

# infer_data: records with every kind of column --infer tells apart.
infer_data() {
	printf '%s\n' \
		'{"i":3,"f":0.5,"s":"b","b":true,"m":1,"n":null,"o":"x","neg":-7,"arr":[1]}' \
		'{"i":4.0,"f":2,"s":"a","b":false,"m":"one","n":null,"neg":18,"late":1,"arr":[2]}' \
		'{"i":47,"f":0.30000000000000004,"s":"b","b":true,"m":true,"n":null,"o":null,"neg":0,"arr":[]}' \
		'{"i":1e1,"f":1.25,"s":"b","b":false,"m":2,"n":null,"o":"x","neg":5,"late":2,"arr":null}'
}

@test "--infer writes a pretty-printed schema with each column's type, required, nullable, range and domain, in column order" {
	infer_data >in.ndjson
	run --separate-stderr to_out ml-validate --infer in.ndjson
	assert_success
	assert_equal "$stderr" ""
	assert_reference infer-check 0 20 out.ndjson in.ndjson
	# readable: pretty-printed with a 2-space indent
	assert [ "$(nlines out.ndjson)" -gt 10 ]
	assert_equal "$(head -1 out.ndjson)" "{"
	assert_regex "$(sed -n 2p out.ndjson)" '^  "[a-z_]+": '
	assert_regex "$(cat out.ndjson)" $'\n    "i": \\{'
	# spot checks
	assert_equal "$(jq -c '.fields | keys_unsorted' out.ndjson)" '["i","f","s","b","m","n","o","neg","arr","late"]'
	assert_equal "$(jq -c '.fields.i | [.type, .min, .max]' out.ndjson)" '["integer",3,47]'
	assert_equal "$(jq -c '.fields.f | [.type, .min, .max]' out.ndjson)" '["number",0.30000000000000004,2]'
	assert_equal "$(jq -c '.fields.s | [.type, .domain]' out.ndjson)" '["string",["a","b"]]'
	assert_equal "$(jq -c '.fields.o | [.type, .required, .nullable, .domain]' out.ndjson)" '["string",false,true,["x"]]'
	assert_equal "$(jq -c '.fields.m | has("type"), has("min")' out.ndjson | tr '\n' ' ')" 'false false '
	assert_equal "$(jq -c '.fields.n | [has("type"), .nullable]' out.ndjson)" '[false,true]'
	assert_equal "$(jq -c '.fields.late | [.type, .required, .min, .max]' out.ndjson)" '["integer",false,1,2]'
	assert_equal "$(jq -c '[.format, .version, .extra_fields, has("records"), has("expectations")]' out.ndjson)" \
		'["mlpipe.schema",1,true,false,false]'
}

@test "--margin widens each range by that share of it on each side; non-negative columns stay >= 0, integer columns round outward" {
	printf '%s\n' '{"i":3,"neg":-7,"f":0.5,"g":0.1,"h":-1.5}' '{"i":47,"neg":18,"f":2.5,"g":10.1,"h":0.5}' \
		'{"i":20,"neg":0,"f":1,"g":5,"h":0}' >in.ndjson
	run --separate-stderr to_out ml-validate --infer --margin 0.1 in.ndjson
	assert_success
	assert_reference infer-check 0.1 20 out.ndjson in.ndjson
	# 3..47 widened by 4.4: -1.4 kept at 0, 51.4 rounded up
	assert_equal "$(jq -c '.fields.i | [.min, .max]' out.ndjson)" '[0,52]'
	# -7..18 widened by 2.5: -9.5 and 20.5, rounded outward
	assert_equal "$(jq -c '.fields.neg | [.min, .max]' out.ndjson)" '[-10,21]'
	assert_equal "$(jq -c '.fields.g.min' out.ndjson)" 0
	assert_equal "$(jq -c '.fields.f | [(.min * 1e9 | round), (.max * 1e9 | round)]' out.ndjson)" '[300000000,2700000000]'
	assert_equal "$(jq -c '.fields.h | [(.min * 1e9 | round), (.max * 1e9 | round)]' out.ndjson)" '[-1700000000,700000000]'
	# and the data still passes
	run --separate-stderr ml-validate -s out.ndjson in.ndjson
	assert_success
}

@test "--max-domain N: a string column with at most N distinct values gets a domain sorted by bytes, one with more gets none" {
	{
		printf '%s\n' '{"c":"émile","d":"1"}' '{"c":"alpha","d":"2"}' '{"c":"Zed","d":"3"}' '{"c":"alpha","d":"4"}'
		for i in $(seq 25); do echo "{\"c\":\"Zed\",\"d\":\"1\",\"e\":\"v$i\"}"; done
	} >in.ndjson
	ml-validate --infer in.ndjson >default.json
	assert_equal "$(jq -c '.fields | [.c.domain, .d.domain, .e.domain]' default.json)" '[["Zed","alpha","émile"],["1","2","3","4"],null]'
	assert_reference infer-check 0 20 default.json in.ndjson
	ml-validate --infer --max-domain 3 in.ndjson >three.json
	assert_equal "$(jq -c '.fields | [.c.domain, .d.domain, .e.domain]' three.json)" '[["Zed","alpha","émile"],null,null]'
	ml-validate --infer --max-domain 25 in.ndjson >all.json
	assert_equal "$(jq -c '.fields.e.domain | length' all.json)" 25
	assert_reference infer-check 0 25 all.json in.ndjson
	ml-validate --infer --max-domain 0 in.ndjson >none.json
	assert_equal "$(jq -c '[.fields[] | has("domain")] | any' none.json)" false
	assert_equal "$(jq -c '.fields | [.c.type, .d.type, .e.type, .e.required]' none.json)" '["string","string","string",false]'
}

@test "--infer from an ml-stats profile gives the schema inferred from the records" {
	infer_data >in.ndjson
	ml-stats in.ndjson >in.profile
	run --separate-stderr to_out ml-validate --infer in.profile
	assert_success
	assert_reference infer-check 0 20 out.ndjson in.ndjson
	ml-validate --infer in.ndjson >records.json
	assert_equal "$(jq -Sc . out.ndjson)" "$(jq -Sc . records.json)"
	# with a margin too, and from stdin
	ml-validate --infer --margin 0.1 <in.profile >p.json
	ml-validate --infer --margin 0.1 in.ndjson >r.json
	assert_equal "$(jq -Sc . p.json)" "$(jq -Sc . r.json)"
	assert_reference infer-check 0.1 20 p.json in.ndjson
}

@test "--infer merges several profiles, and reads several files of records, as if they were one" {
	{
		for i in $(seq 50); do echo "{\"k\":$i,\"x\":$((i * 3)).5,\"s\":\"s$((i % 4))\"}"; done
		for i in $(seq 51 80); do echo "{\"k\":$i,\"s\":\"t\",\"late\":true}"; done
	} >all.ndjson
	head -n 50 all.ndjson >a.ndjson
	tail -n +51 all.ndjson >b.ndjson
	ml-stats a.ndjson >a.profile
	ml-stats b.ndjson >b.profile
	ml-validate --infer all.ndjson >whole.json
	assert_reference infer-check 0 20 whole.json all.ndjson
	ml-validate --infer a.profile b.profile >merged.json
	assert_equal "$(jq -Sc . merged.json)" "$(jq -Sc . whole.json)"
	ml-validate --infer a.ndjson b.ndjson >files.json
	assert_equal "$(jq -Sc . files.json)" "$(jq -Sc . whole.json)"
	assert_equal "$(jq -c '.fields | [.x.required, .late.required, .late.type, .k.max, .s.domain]' whole.json)" \
		'[false,false,"boolean",80,["s0","s1","s2","s3","t"]]'
}

@test "round trip: the inferred schema validates the data it came from, and a later batch out of range is rejected" {
	/usr/bin/python3 - >data.ndjson <<'EOF'
import json, random
r = random.Random(5)
for i in range(2000):
    rec = {"id": i, "x": r.gauss(0, 1) * 1e-3 + r.random() / 3, "n": r.randint(-40, 40), "g": r.choice(["a", "b", "c"])}
    if r.random() < 0.2:
        rec["opt"] = r.random() < 0.5
    if r.random() < 0.1:
        rec["z"] = None
    else:
        rec["z"] = r.random() * 100
    print(json.dumps(rec))
EOF
	ml-validate --infer data.ndjson >s.json
	assert_reference infer-check 0 20 s.json data.ndjson
	run --separate-stderr to_out ml-validate -s s.json data.ndjson
	assert_success
	assert_bytes_equal data.ndjson out.ndjson
	# from the profile, and with a margin
	ml-stats data.ndjson >data.profile
	ml-validate --infer data.profile -o p.json
	run --separate-stderr to_out ml-validate -s p.json data.ndjson
	assert_success
	ml-validate --infer --margin 0.1 data.ndjson >m.json
	run --separate-stderr to_out ml-validate -s m.json data.ndjson
	assert_success
	assert_no_temp_files
	# a later batch with a value above the range, and a new category
	max=$(jq '.fields.n.max' s.json)
	printf '%s\n' "{\"id\":1,\"x\":0.1,\"n\":$((max + 1)),\"g\":\"a\",\"z\":1}" '{"id":2,"x":0.1,"n":0,"g":"d","z":1}' \
		'{"id":3,"x":0.1,"n":0,"g":"a","z":null}' >later.ndjson
	run --separate-stderr to_out ml-validate -s s.json --reject bad.ndjson later.ndjson
	assert_failure 1
	assert_rejected '1 max:n' '2 domain:g'
	assert_passed_from later.ndjson 3
}

# assert_passed_from FILE N...: out.ndjson holds lines N... of FILE.
assert_passed_from() {
	local f=$1 n
	shift
	for n; do sed -n "${n}p" "$f"; done >want.ndjson
	assert_bytes_equal want.ndjson out.ndjson
}

@test "--infer -o FILE writes the schema there and nothing on stdout" {
	infer_data >in.ndjson
	ml-validate --infer in.ndjson >stdout.json
	run --separate-stderr ml-validate --infer -o s.json in.ndjson
	assert_success
	assert_equal "$output" ""
	assert_bytes_equal stdout.json s.json
	assert_no_temp_files
	# the same input gives the same bytes
	ml-validate --infer <in.ndjson >again.json
	assert_bytes_equal stdout.json again.json
}

@test "a model bundle stands for the schema of its training data: serving data is checked against it" {
	gen_records 300 >train.ndjson
	ml-train --target x --algo linear -o model.bundle train.ndjson
	run --separate-stderr ml-validate -s model.bundle --report rep.ndjson train.ndjson
	assert_success
	assert_equal "$(head -1 rep.ndjson | jq -r .schema)" "sha256:$(sha256sum model.bundle | cut -c1-64)"
	# a value the training data never had breaks the inferred range
	printf '%s\n' '{"id":5,"x":99999,"s":"r5"}' >serving.ndjson
	run --separate-stderr ml-validate -s model.bundle serving.ndjson
	assert_failure 1
	assert_regex "$stderr" 'x\.max: 1'
}

@test "the schema is read once, so a pipe, a FIFO or standard input serve as the file does, for a schema or a bundle" {
	schema '{"id":{"type":"integer","max":95}}'
	gen_records 100 >in.ndjson
	ml-train --target x --algo linear -o model.bundle in.ndjson
	for sch in s.json model.bundle; do
		run --separate-stderr ml-validate -s "$sch" --report want.ndjson -o /dev/null in.ndjson
		want=$status
		run --separate-stderr bash -c "ml-validate -s <(cat $sch) --report got.ndjson -o /dev/null in.ndjson"
		assert_equal "$stderr" ""
		assert_equal "$status" "$want"
		assert_bytes_equal want.ndjson got.ndjson
		run --separate-stderr bash -c "cat $sch | ml-validate -s /dev/stdin --report got.ndjson -o /dev/null in.ndjson"
		assert_equal "$stderr" ""
		assert_bytes_equal want.ndjson got.ndjson
		mkfifo s.fifo
		cat "$sch" >s.fifo &
		run --separate-stderr ml-validate -s s.fifo --report got.ndjson -o /dev/null in.ndjson
		wait
		rm s.fifo
		assert_equal "$stderr" ""
		assert_bytes_equal want.ndjson got.ndjson
		# the report names the schema by the bytes read
		assert_equal "$(head -1 got.ndjson | jq -r .schema)" "sha256:$(sha256sum "$sch" | cut -c1-64)"
	done
}

@test "a corrupt bundle given as the schema is refused, naming the member" {
	gen_records 100 >train.ndjson
	ml-train --target x --algo linear -o model.bundle train.ndjson
	/usr/bin/python3 - <<'PY'
import tarfile, io
src = tarfile.open("model.bundle")
out = tarfile.open("bad.bundle", "w", format=tarfile.USTAR_FORMAT)
for m in src.getmembers():
    data = src.extractfile(m).read()
    if m.name == "schema.json":
        data = data.replace(b"true", b"fals", 1)
    m.size = len(data)
    out.addfile(m, io.BytesIO(data))
out.close()
PY
	run --separate-stderr ml-validate -s bad.bundle train.ndjson
	assert_failure 2
	assert_regex "$stderr" '^ml-validate: bad\.bundle: .*schema\.json'
}
