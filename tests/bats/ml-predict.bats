#!/usr/bin/env bats
# ml-predict: records come out as they came in with the prediction added;
# the scores against the backends' own (fixtures/train/reference.py, with
# Debian's python3, NumPy and XGBoost), explanations, thresholds, field
# names, missing and unseen values, rejects, -o, and every kind of bad
# bundle.

load helper

setup_file() {
	local d=$BATS_FILE_TMPDIR
	export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
	reference gen-toy binary 400 1 >"$d/binary.ndjson"
	reference gen-toy multiclass 400 2 >"$d/multi.ndjson"
	reference gen-toy regression 400 3 >"$d/regr.ndjson"
	# the same problem with 0/1 and false/true targets
	sed 's/"y": "yes"/"y": 1/; s/"y": "no"/"y": 0/' "$d/binary.ndjson" >"$d/binary01.ndjson"
	sed 's/"y": "yes"/"y": true/; s/"y": "no"/"y": false/' "$d/binary.ndjson" >"$d/binarytf.ndjson"
	ml-train -t y -a logistic -o "$d/bin-logistic.bundle" "$d/binary.ndjson"
	ml-train -t y -a gbdt -p rounds=20 -p max_depth=3 -o "$d/bin-gbdt.bundle" "$d/binary.ndjson"
	ml-train -t y -a logistic -o "$d/multi-logistic.bundle" "$d/multi.ndjson"
	ml-train -t y -a gbdt -p rounds=20 -p max_depth=3 -o "$d/multi-gbdt.bundle" "$d/multi.ndjson"
	ml-train -t y -a linear -p alpha=1 -o "$d/regr-linear.bundle" "$d/regr.ndjson"
	ml-train -t y -a gbdt -p rounds=20 -p max_depth=3 -o "$d/regr-gbdt.bundle" "$d/regr.ndjson"
	ml-train -t y -a logistic -o "$d/bin01.bundle" "$d/binary01.ndjson"
	ml-train -t y -a gbdt -p rounds=5 -o "$d/bintf.bundle" "$d/binarytf.ndjson"
}

setup() {
	ml_setup
	export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
	D=$BATS_FILE_TMPDIR
	BIN=$D/binary.ndjson
	MULTI=$D/multi.ndjson
	REGR=$D/regr.ndjson
}

reference() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/train/reference.py" "$@"
}

# assert_reference CHECK ARGS...: the reference finds nothing wrong (what it
# finds is shown).
assert_reference() {
	run reference "$@"
	assert_success
}

# assert_fails_with PATTERN: the last `run --separate-stderr` exited 2, wrote
# nothing on stdout, and its stderr is one line starting "ml-predict: " and
# matching PATTERN.
assert_fails_with() {
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^ml-predict: '
	assert_regex "$stderr" "$1"
}

# assert_prefixes IN OUT: each line of OUT starts with the bytes of the same
# line of IN up to its closing brace (a carriage return dropped), then the
# fields added: a comma unless the record is empty, then "prediction".
assert_prefixes() {
	run /usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
ins = [l for l in open(sys.argv[1], "rb").read().split(b"\n") if l.strip(b" \t\r")]
outs = open(sys.argv[2], "rb").read().split(b"\n")
assert outs[-1] == b"", "no newline at the end"
outs = outs[:-1]
assert len(ins) == len(outs), "%d lines in, %d out" % (len(ins), len(outs))
for i, (a, b) in enumerate(zip(ins, outs), 1):
    head = a.rstrip(b" \t\r")[:-1]
    sep = b"" if head.strip(b" \t") == b"{" else b","
    if not b.startswith(head + sep + b'"prediction":'):
        print("line %d: %r does not start with %r" % (i, b[:200], head + sep))
EOF
	assert_success
	assert_output ""
}

# assert_unique_keys FILE: no line of FILE has a key twice (which jq would
# not show).
assert_unique_keys() {
	run /usr/bin/python3 - "$1" <<'EOF'
import json, sys
def once(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        print("line %d: %s more than once" % (n, ", ".join(dup)))
    return dict(pairs)
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    json.loads(line, object_pairs_hook=once)
EOF
	assert_success
	assert_output ""
}

# --- the records --------------------------------------------------------------------

@test "each record comes out as the bytes it came in, its spacing and key order kept, with prediction and probability appended" {
	{
		printf '%s\n' '{ "flag" : true ,  "x":1.50 , "color":"red","id":7}' \
			'{"z":3,"x":-0.25e1,"note":{"a":[1,{"b":"}"}]},"color":"\u0062lue","y":"yes"}' \
			'{"x":2 }' '{}' '{ }' '{"s":"caf\u00e9 \"quoted\" ,}"}'
		printf '{"x":0.5}\r\n'
		printf '{"x":1}   \n'
	} >in.ndjson
	ml-predict "$D/bin-logistic.bundle" in.ndjson >out.ndjson
	assert_json_lines out.ndjson
	assert_prefixes in.ndjson out.ndjson
	# appended last, in this order, each once
	run jq -c 'keys_unsorted[-2:]' out.ndjson
	assert_equal "$(echo "$output" | sort -u)" '["prediction","probability"]'
	assert_equal "$(head -1 out.ndjson)" \
		"{ \"flag\" : true ,  \"x\":1.50 , \"color\":\"red\",\"id\":7,\"prediction\":\"$(jq -r .prediction <(head -1 out.ndjson))\",\"probability\":$(jq .probability <(head -1 out.ndjson))}"
	# the escaped "blue" is blue
	printf '%s\n' '{"x":-2.5,"z":3,"color":"blue"}' >plain.ndjson
	assert_equal "$(ml-predict "$D/bin-logistic.bundle" plain.ndjson | jq .probability)" "$(sed -n 2p out.ndjson | jq .probability)"
}

@test "a field ml-predict adds is known under an escaped spelling of its key too" {
	printf '%s\n' '{"x":0.5,"predict\u0069on":"old","prob\u0061bility":3,"z":1}' >in.ndjson
	ml-predict "$D/bin-gbdt.bundle" in.ndjson >out.ndjson
	assert_unique_keys out.ndjson
	assert_equal "$(jq -c 'keys_unsorted' out.ndjson)" '["x","z","prediction","probability"]'
	assert_equal "$(jq -r .prediction out.ndjson)" \
		"$(echo '{"x":0.5,"z":1}' | ml-predict "$D/bin-gbdt.bundle" | jq -r .prediction)"
}

@test "a record that already has a field ml-predict adds loses the old one, and has each key once" {
	printf '%s\n' '{"prediction":"old","x":0.5,"probability":3,"z":1}' '{"prediction":null}' \
		'{"x":1,"probabilities":{"a":1},"contributions":1,"base_value":2}' >in.ndjson
	ml-predict "$D/bin-gbdt.bundle" in.ndjson >out.ndjson
	assert_json_lines out.ndjson
	assert_equal "$(jq -c 'keys_unsorted' out.ndjson)" "$(printf '%s\n' '["x","z","prediction","probability"]' \
		'["prediction","probability"]' '["x","probabilities","contributions","base_value","prediction","probability"]')"
	# the same as the records without them
	printf '%s\n' '{"x":0.5,"z":1}' '{}' '{"x":1}' | ml-predict "$D/bin-gbdt.bundle" | jq -c '[.prediction, .probability]' >want
	assert_equal "$(jq -c '[.prediction, .probability]' out.ndjson)" "$(cat want)"
	assert_unique_keys out.ndjson
	# --explain's fields too, and a multiclass model's probabilities; not
	# "probability", which this model does not add
	ml-predict --explain "$D/multi-logistic.bundle" in.ndjson >out.ndjson
	assert_unique_keys out.ndjson
	assert_equal "$(jq -c 'keys_unsorted' out.ndjson)" "$(printf '%s\n' \
		'["x","probability","z","prediction","probabilities","contributions","base_value"]' \
		'["prediction","probabilities","contributions","base_value"]' \
		'["x","prediction","probabilities","contributions","base_value"]')"
	assert_equal "$(sed -n 1p out.ndjson | jq .probability)" 3
	# renamed fields leave the old default-named ones alone
	ml-predict --prediction-field p2 --probability-field q2 "$D/bin-logistic.bundle" in.ndjson >renamed.ndjson
	assert_equal "$(head -1 renamed.ndjson | jq -c '[.prediction, .probability, (.p2 | type), (.q2 | type)]')" '["old",3,"string","number"]'
}

@test "a binary model's prediction is the positive class when its probability reaches --threshold" {
	ml-predict "$D/bin-gbdt.bundle" "$BIN" >default.ndjson
	local t
	for t in 0 0.3 0.5 0.9 1; do
		ml-predict --threshold $t "$D/bin-gbdt.bundle" "$BIN" >t.ndjson
		# the probability does not move; the prediction follows it
		assert_equal "$(jq -c .probability t.ndjson)" "$(jq -c .probability default.ndjson)"
		run jq -e --argjson t "$t" 'select((.prediction == "yes") != (.probability >= $t))' t.ndjson
		assert_output ""
	done
	# 0.5 is the default; 0 predicts the positive class everywhere
	assert_bytes_equal default.ndjson <(ml-predict --threshold 0.5 "$D/bin-gbdt.bundle" "$BIN")
	assert_equal "$(ml-predict --threshold 0 "$D/bin-gbdt.bundle" "$BIN" | jq -r .prediction | sort -u)" yes
	# it changes nothing for the other tasks
	assert_bytes_equal <(ml-predict "$D/multi-gbdt.bundle" "$MULTI") <(ml-predict --threshold 0.9 "$D/multi-gbdt.bundle" "$MULTI")
	local bad
	for bad in -0.1 1.5 x ""; do
		run --separate-stderr ml-predict --threshold "$bad" "$D/bin-gbdt.bundle" "$BIN"
		assert_equal "$status" 2
		assert_equal "$output" ""
		assert_regex "${stderr_lines[0]}" "^ml-predict: --threshold"
	done
}

@test "--prediction-field and --probability-field rename what is added; the same name for both is refused" {
	ml-predict --prediction-field label --probability-field p "$D/bin-logistic.bundle" "$BIN" >out.ndjson
	assert_equal "$(jq -c 'keys_unsorted[-2:]' out.ndjson | sort -u)" '["label","p"]'
	ml-predict "$D/bin-logistic.bundle" "$BIN" >default.ndjson
	assert_equal "$(jq -c '[.label, .p]' out.ndjson)" "$(jq -c '[.prediction, .probability]' default.ndjson)"
	ml-predict --probability-field probs "$D/multi-gbdt.bundle" "$MULTI" >m.ndjson
	assert_equal "$(jq -c 'keys_unsorted[-2:]' m.ndjson | sort -u)" '["prediction","probs"]'
	ml-predict --prediction-field value "$D/regr-linear.bundle" "$REGR" >r.ndjson
	assert_equal "$(jq -c 'keys_unsorted[-1:]' r.ndjson | sort -u)" '["value"]'
	run --separate-stderr ml-predict --prediction-field same --probability-field same "$D/bin-logistic.bundle" "$BIN"
	assert_fails_with "same field"
	run --separate-stderr ml-predict --probability-field prediction "$D/bin-logistic.bundle" "$BIN"
	assert_fails_with "same field"
}

@test "a multiclass model gives each class's probability keyed by its label, in class order, adding up to 1, and predicts the most probable" {
	local b
	for b in multi-logistic multi-gbdt; do
		ml-predict "$D/$b.bundle" "$MULTI" >out.ndjson
		assert_equal "$(jq -c '.probabilities | keys_unsorted' out.ndjson | sort -u)" '["a","b","c"]'
		run jq -e 'select(([.probabilities[]] | add) - 1 | fabs > 1e-6)' out.ndjson
		assert_output ""
		run jq -e 'select(.prediction != (.probabilities | to_entries | max_by(.value) | .key))' out.ndjson
		assert_output ""
		run jq -e 'select([.probabilities[] | . >= 0 and . <= 1] | all | not)' out.ndjson
		assert_output ""
	done
	# a logistic model's probabilities add up to 1 to the last digits
	run jq -e 'select(([.probabilities[]] | add) - 1 | fabs > 1e-12)' <(ml-predict "$D/multi-logistic.bundle" "$MULTI")
	assert_output ""
	# numbers as classes: keyed by their text, predicted as numbers
	for i in $(seq 60); do echo "{\"x\":$((i % 7)),\"y\":$((i % 3 + 1))}"; done >num.ndjson
	ml-train -t y --task multiclass -a logistic -o num.bundle num.ndjson
	ml-predict num.bundle num.ndjson >num.out
	assert_equal "$(jq -c '.probabilities | keys_unsorted' num.out | sort -u)" '["1","2","3"]'
	assert_equal "$(jq -c '.prediction | type' num.out | sort -u)" '"number"'
}

@test "a binary model predicts its classes as the target held them: strings, numbers or booleans; a regression adds only the value" {
	assert_equal "$(ml-predict "$D/bin-logistic.bundle" "$BIN" | jq -c '.prediction' | sort -u | tr '\n' ' ')" '"no" "yes" '
	assert_equal "$(ml-predict "$D/bin01.bundle" "$BIN" | jq -c '.prediction' | sort -u | tr '\n' ' ')" '0 1 '
	assert_equal "$(ml-predict "$D/bintf.bundle" "$BIN" | jq -c '.prediction' | sort -u | tr '\n' ' ')" 'false true '
	# the probability is that of the second class: 1, true, "yes"
	assert_equal "$(ml-predict "$D/bin01.bundle" "$BIN" | jq -c .probability)" \
		"$(ml-predict "$D/bin-logistic.bundle" "$BIN" | jq -c .probability)"
	ml-predict "$D/regr-gbdt.bundle" "$REGR" >r.ndjson
	assert_equal "$(jq -c '[keys_unsorted[-1], (.prediction | type), has("probability")]' r.ndjson | sort -u)" '["prediction","number",false]'
}

# --- against the backends -------------------------------------------------------------

@test "the scores equal the backends' own: XGBoost's from model.json (1e-6), and the weights of model.json (1e-9)" {
	printf '%s\n' '{"x":0.5,"color":"mauve","flag":true}' '{"z":null,"color":null}' '{}' '{"x":1e30,"z":-1e30}' >odd.ndjson
	local args=() t
	for t in bin multi regr; do
		local data
		data=$(case $t in bin) echo "$BIN" ;; multi) echo "$MULTI" ;; regr) echo "$REGR" ;; esac)
		cat "$data" odd.ndjson >"$t.in"
		ml-predict "$D/$t-gbdt.bundle" "$t.in" >"$t.gbdt"
		args+=("$D/$t-gbdt.bundle" "$t.in" "$t.gbdt" +)
	done
	assert_reference gbdt-check "${args[@]}"
	ml-predict "$D/bin-logistic.bundle" bin.in >bin.lin
	ml-predict "$D/multi-logistic.bundle" multi.in >multi.lin
	ml-predict "$D/regr-linear.bundle" regr.in >regr.lin
	assert_reference linear-check "$D/bin-logistic.bundle" bin.in bin.lin + \
		"$D/multi-logistic.bundle" multi.in multi.lin + "$D/regr-linear.bundle" regr.in regr.lin
}

@test "more than a batch of records: 10000 are scored in order, as one by one" {
	reference gen-toy binary 10000 9 | awk '{ sub(/^{/, "{\"id\":" NR ","); print }' >big.ndjson
	ml-predict "$D/bin-gbdt.bundle" big.ndjson >big.out
	assert_equal "$(nlines big.out)" 10000
	assert_equal "$(jq .id big.out | tr '\n' ' ')" "$(seq 10000 | tr '\n' ' ')"
	assert_reference gbdt-check "$D/bin-gbdt.bundle" big.ndjson big.out
	# the records at the edges of a batch, alone
	local n
	for n in 1 4096 4097 8192 10000; do
		assert_equal "$(sed -n "${n}p" big.ndjson | ml-predict "$D/bin-gbdt.bundle")" "$(sed -n "${n}p" big.out)"
	done
}

# --- explanations ----------------------------------------------------------------------

@test "--explain: a contribution per feature, in the features' order, that with base_value add up to the raw score" {
	local args=() b data
	for b in bin-logistic bin-gbdt multi-logistic multi-gbdt regr-linear regr-gbdt; do
		case $b in bin*) data=$BIN ;; multi*) data=$MULTI ;; regr*) data=$REGR ;; esac
		ml-predict --explain "$D/$b.bundle" "$data" >"$b.out"
		assert_equal "$(jq -c '.contributions | keys_unsorted' "$b.out" | sort -u)" \
			"$(tar -xOf "$D/$b.bundle" manifest.json | jq -c '[.features[].name]')"
		assert_equal "$(jq -c 'keys_unsorted[-2:]' "$b.out" | sort -u)" '["contributions","base_value"]'
		args+=("$D/$b.bundle" "$data" "$b.out" +)
	done
	assert_reference explain-check "${args[@]}"
	# the base value is the same for every record (of a predicted class)
	assert_equal "$(jq .base_value bin-logistic.out | sort -u | wc -l)" 1
	assert_equal "$(jq .base_value regr-gbdt.out | sort -u | wc -l)" 1
	assert_equal "$(jq -c '[.prediction, .base_value]' multi-logistic.out | sort -u | wc -l)" 3
	# and --explain changes no prediction
	assert_equal "$(jq -c '[.prediction, .probability]' bin-gbdt.out)" \
		"$(ml-predict "$D/bin-gbdt.bundle" "$BIN" | jq -c '[.prediction, .probability]')"
}

@test "--explain: for logistic and linear a missing number contributes 0 and a string its column's weight" {
	printf '%s\n' '{"color":"red"}' '{"x":null,"color":"red","flag":null}' '{"color":"mauve"}' '{"color":"teal"}' >in.ndjson
	ml-predict --explain "$D/regr-linear.bundle" in.ndjson >out.ndjson
	assert_equal "$(jq -c '.contributions | [.x, .z, .flag]' out.ndjson | sort -u)" '[0,0,0]'
	# red's weight, and the "(other)" column's for an unseen colour
	tar -xOf "$D/regr-linear.bundle" preprocess.json >prep.json
	tar -xOf "$D/regr-linear.bundle" model.json >model.json
	local red other
	red=$(jq -s '.[0] as $p | .[1] as $m | ($p.features[:2] | length) as $k
		| ($p.features[2].values | index("red")) as $i | $m.coef[0][2 + $i]' prep.json model.json)
	other=$(jq -s '.[0] as $p | .[1] as $m | ($p.features[2].values | length) as $n | $m.coef[0][2 + $n]' prep.json model.json)
	assert_equal "$(jq .contributions.color out.ndjson | sed -n 1p)" "$red"
	assert_equal "$(jq .contributions.color out.ndjson | sed -n 3p)" "$other"
	# the base value is the intercept
	assert_equal "$(jq .base_value out.ndjson | sort -u)" "$(jq '.intercept[0]' model.json)"
}

# --- missing values, unseen values, wrong types ------------------------------------------

@test "missing features are scored, not refused: absent and null alike" {
	local b
	for b in bin-logistic bin-gbdt multi-gbdt regr-linear; do
		printf '%s\n' '{"x":0.5}' '{"x":0.5,"z":null,"color":null,"flag":null}' '{}' \
			'{"z":null,"x":null,"color":null,"flag":null}' >in.ndjson
		run --separate-stderr ml-predict "$D/$b.bundle" in.ndjson
		assert_success
		assert_equal "$stderr" ""
		echo "$output" >out.ndjson
		assert_equal "$(sed -n 1p out.ndjson | jq -c '[.prediction, .probability, .probabilities]')" \
			"$(sed -n 2p out.ndjson | jq -c '[.prediction, .probability, .probabilities]')"
		assert_equal "$(sed -n 3p out.ndjson | jq -c '[.prediction, .probability, .probabilities]')" \
			"$(sed -n 4p out.ndjson | jq -c '[.prediction, .probability, .probabilities]')"
	done
	# for a linear model a missing number is its training mean
	tar -xOf "$D/regr-linear.bundle" preprocess.json >prep.json
	# (up to the rounding of the mean to a 32-bit float)
	local mean missing at_mean
	mean=$(jq '.features[] | select(.name == "z") | .mean' prep.json)
	missing=$(echo '{"x":1,"color":"red","flag":true}' | ml-predict "$D/regr-linear.bundle" | jq .prediction)
	at_mean=$(echo "{\"x\":1,\"z\":$mean,\"color\":\"red\",\"flag\":true}" | ml-predict "$D/regr-linear.bundle" | jq .prediction)
	run jq -n --argjson a "$missing" --argjson b "$at_mean" '($a - $b | fabs) < 1e-6'
	assert_output true
}

@test "a string never seen in training scores as the \"(other)\" column, as the strings training put there" {
	# training keeps red, green and blue; pink, teal and gold are "(other)"
	ml-train -t y -a gbdt -p rounds=10 --max-categories 3 -o m.bundle "$BIN"
	assert_equal "$(tar -xOf m.bundle preprocess.json | jq -c '.features[] | select(.name == "color") | .values | sort')" \
		'["blue","green","red"]'
	printf '%s\n' '{"x":0.2,"z":1,"color":"pink","flag":true}' '{"x":0.2,"z":1,"color":"mauve","flag":true}' \
		'{"x":0.2,"z":1,"color":"","flag":true}' '{"x":0.2,"z":1,"color":"RED","flag":true}' >in.ndjson
	ml-predict m.bundle in.ndjson >out.ndjson
	assert_equal "$(jq .probability out.ndjson | sort -u | wc -l)" 1
	assert_reference gbdt-check m.bundle in.ndjson out.ndjson
	# for a linear model too, and it is not the same as a missing value
	ml-train -t y -a logistic --max-categories 3 -o l.bundle "$BIN"
	ml-predict l.bundle in.ndjson >l.ndjson
	assert_equal "$(jq .probability l.ndjson | sort -u | wc -l)" 1
	run cmp -s <(echo '{"x":0.2,"z":1,"flag":true}' | ml-predict l.bundle | jq .probability) <(sed -n 1p l.ndjson | jq .probability)
	assert_failure
}

@test "a feature of another type than in training is an error with its file and line" {
	local rec want
	while IFS='|' read -r rec want; do
		{ head -3 "$BIN"; echo "$rec"; } >in.ndjson
		run --separate-stderr ml-predict "$D/bin-gbdt.bundle" in.ndjson
		assert_equal "$status" 2
		assert_equal "${#stderr_lines[@]}" 1
		assert_equal "$stderr" "ml-predict: in.ndjson:4: $want"
	done <<'EOF'
{"x":"1.5"}|feature 'x' is a string, not a number as in training
{"x":true}|feature 'x' is a boolean, not a number as in training
{"color":3}|feature 'color' is a number, not a category as in training
{"flag":1}|feature 'flag' is a number, not a boolean as in training
{"flag":"true"}|feature 'flag' is a string, not a boolean as in training
{"x":[1]}|feature 'x' is an array, not a number as in training
{"color":{"a":1}}|feature 'color' is an object, not a category as in training
EOF
	# from standard input
	run --separate-stderr ml-predict "$D/bin-gbdt.bundle" <in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-predict: <stdin>:4: feature 'color'"
	# fields that are not features may hold anything
	echo '{"x":1,"other":[1,{"a":null}],"y":17}' | ml-predict "$D/bin-gbdt.bundle" >/dev/null
}

@test "--reject writes the records that cannot be scored, with their place and why, and the others are scored" {
	{
		head -2 "$BIN"
		echo '{"x": "1.5" ,"id":3}'
		echo
		echo '{"x":1,'
		head -4 "$BIN" | tail -2
	} >in.ndjson
	run --separate-stderr ml-predict --reject rej.ndjson "$D/bin-logistic.bundle" in.ndjson
	assert_success
	assert_equal "$stderr" ""
	echo "$output" >out.ndjson
	assert_equal "$(nlines out.ndjson)" 4
	assert_bytes_equal <(ml-predict "$D/bin-logistic.bundle" <(head -4 "$BIN")) out.ndjson
	assert_json_lines rej.ndjson
	assert_equal "$(sed -n 1p rej.ndjson)" \
		'{"file":"in.ndjson","line":3,"errors":[{"rule":"type","message":"feature '"'x'"' is a string, not a number as in training"}],"record":{"x": "1.5" ,"id":3}}'
	assert_equal "$(sed -n 2p rej.ndjson | jq -c '[.file, .line, .errors[0].rule, (.errors | length), .text, has("record")]')" \
		'["in.ndjson",5,"malformed",1,"{\"x\":1,",false]'
	assert_regex "$(sed -n 2p rej.ndjson | jq -r '.errors[0].message')" 'malformed JSON'
	assert_equal "$(nlines rej.ndjson)" 2
	# -v counts them
	run --separate-stderr ml-predict -v --reject rej.ndjson -o out.ndjson "$D/bin-logistic.bundle" in.ndjson
	assert_equal "$stderr" "ml-predict: 6 records, 4 scored, 2 rejected"
	# from standard input, the place is <stdin>
	ml-predict --reject rej2.ndjson "$D/bin-logistic.bundle" <in.ndjson >/dev/null
	assert_equal "$(jq -r .file rej2.ndjson | sort -u)" "<stdin>"
}

# 1 and 400 zeros: an integer beyond the range of a double
huge_int() {
	awk 'BEGIN { s = "1"; for (i = 0; i < 400; i++) s = s "0"; print s }'
}

@test "a number too large for the model is an error at its place, gbdt and logistic alike" {
	local b
	{ head -3 "$BIN"; echo '{"x":1,"z":1e400,"color":"red"}'; head -5 "$BIN" | tail -2; } >in.ndjson
	for b in bin-gbdt bin-logistic; do
		run --separate-stderr ml-predict "$D/$b.bundle" in.ndjson
		assert_equal "$status" 2
		assert_equal "${#stderr_lines[@]}" 1
		assert_equal "$stderr" "ml-predict: in.ndjson:4: feature 'z': 1e400 does not fit a double"
		run --separate-stderr ml-predict "$D/$b.bundle" <in.ndjson
		assert_equal "$stderr" "ml-predict: <stdin>:4: feature 'z': 1e400 does not fit a double"
	done
}

@test "--reject takes the records whose numbers are too large for the model, and the others are scored as they would be alone" {
	local b h
	h=$(huge_int)
	{
		head -2 "$BIN"
		echo '{"x": 1e400 ,"color":"red"}'
		sed -n 3p "$BIN"
		echo '{"x":1,"z":-1e400}'
		echo "{\"x\":-$h}"
		echo '{"x":1e39}'
		echo '{"x":1e400,"z":-1e400}'
		sed -n 4p "$BIN"
	} >in.ndjson
	sed -n '1p;2p;4p;9p' in.ndjson >good.ndjson
	for b in bin-gbdt bin-logistic; do
		run --separate-stderr ml-predict -v --reject rej.ndjson "$D/$b.bundle" in.ndjson
		assert_success
		assert_equal "$stderr" "ml-predict: 9 records, 4 scored, 5 rejected"
		echo "$output" >out.ndjson
		# one such record in a batch changes nothing for the others
		assert_bytes_equal <(ml-predict "$D/$b.bundle" good.ndjson) out.ndjson
		assert_json_lines rej.ndjson
		assert_equal "$(sed -n 1p rej.ndjson)" \
			'{"file":"in.ndjson","line":3,"errors":[{"rule":"range","message":"feature '"'x'"': 1e400 does not fit a double"}],"record":{"x": 1e400 ,"color":"red"}}'
		assert_equal "$(jq -c '[.line, .errors[0].rule]' rej.ndjson | tr '\n' ' ')" \
			'[3,"range"] [5,"range"] [6,"range"] [7,"range"] [8,"range"] '
		assert_equal "$(jq -r '.errors[0].message' rej.ndjson)" "$(cat <<-'EOF'
			feature 'x': 1e400 does not fit a double
			feature 'z': -1e400 does not fit a double
			feature 'x': -1000000000000000000000000000000... does not fit a double
			feature 'x': 1e39 does not fit the model's 32-bit floats
			feature 'x': 1e400 does not fit a double
			EOF
		)"
		# each record as the bytes it was read as (jq would round the number)
		assert_equal "$(sed -n 3p rej.ndjson | sed 's/.*"record"://')" "{\"x\":-$h}}"
	done
}

@test "a number too small for a double is 0, and scored as 0" {
	local b
	for b in bin-gbdt bin-logistic regr-linear; do
		printf '%s\n' '{"x":1e-400,"z":-1e-400}' '{"x":0,"z":0}' >in.ndjson
		run --separate-stderr ml-predict "$D/$b.bundle" in.ndjson
		assert_success
		echo "$output" >out.ndjson
		assert_equal "$(sed -n 1p out.ndjson | jq -c '[.prediction, .probability]')" \
			"$(sed -n 2p out.ndjson | jq -c '[.prediction, .probability]')"
	done
}

@test "a malformed line without --reject is an error with its file and line, blank lines counted" {
	{ head -2 "$BIN"; echo; echo '{"x":1 "z":2}'; } >in.ndjson
	run --separate-stderr ml-predict "$D/bin-logistic.bundle" in.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-predict: in.ndjson:4: malformed JSON"
	printf '%s\n' '[1,2]' >arr.ndjson
	run --separate-stderr ml-predict "$D/bin-logistic.bundle" arr.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-predict: arr.ndjson:1: "
}

@test "several files are scored in order, standard input as -, errors naming their file" {
	head -3 "$BIN" >a.ndjson
	tail -2 "$BIN" >b.ndjson
	ml-predict "$D/bin-gbdt.bundle" a.ndjson - b.ndjson <a.ndjson >out.ndjson
	assert_equal "$(nlines out.ndjson)" 8
	assert_bytes_equal <(cat a.ndjson a.ndjson b.ndjson | ml-predict "$D/bin-gbdt.bundle") out.ndjson
	echo '{"x":"bad"}' >>b.ndjson
	run --separate-stderr ml-predict -o out.ndjson "$D/bin-gbdt.bundle" a.ndjson b.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-predict: b.ndjson:3: feature 'x'"
	# the bundle from standard input, the records from files
	ml-predict - a.ndjson <"$D/bin-gbdt.bundle" >fromstdin.ndjson
	assert_bytes_equal <(ml-predict "$D/bin-gbdt.bundle" a.ndjson) fromstdin.ndjson
}

@test "empty input gives empty output" {
	: >empty.ndjson
	run --separate-stderr ml-predict "$D/regr-gbdt.bundle" empty.ndjson
	assert_success
	assert_output ""
	printf '\n\n' | ml-predict -o out.ndjson "$D/regr-gbdt.bundle"
	assert [ -e out.ndjson ]
	assert_equal "$(wc -c <out.ndjson)" 0
}

@test "-o FILE is written whole or not at all: a failure keeps the previous file and leaves no temporary file" {
	ml-predict -o out.ndjson "$D/bin-logistic.bundle" "$BIN"
	assert_bytes_equal <(ml-predict "$D/bin-logistic.bundle" "$BIN") out.ndjson
	assert_no_temp_files
	cp out.ndjson before.ndjson
	# a bad record after more than a batch of good ones
	{ cat "$BIN" "$BIN" "$BIN" "$BIN" "$BIN" "$BIN" "$BIN" "$BIN" "$BIN" "$BIN" "$BIN"; echo '{"x":"bad"}'; } >bad.ndjson
	run --separate-stderr ml-predict -o out.ndjson "$D/bin-logistic.bundle" bad.ndjson
	assert_equal "$status" 2
	assert_regex "$stderr" "bad.ndjson:4401: "
	assert_bytes_equal before.ndjson out.ndjson
	assert_no_temp_files
	# a bad bundle: the same
	echo 'not a bundle' >fake.bundle
	run --separate-stderr ml-predict -o out.ndjson --reject rej.ndjson fake.bundle "$BIN"
	assert_equal "$status" 2
	assert_bytes_equal before.ndjson out.ndjson
	assert [ ! -e rej.ndjson ]
	assert_no_temp_files
}

@test "a bundle read from standard input with the records from standard input too is a usage error" {
	head -3 "$BIN" >a.ndjson
	run --separate-stderr ml-predict - <"$D/bin-gbdt.bundle"
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "${stderr_lines[0]}" "ml-predict: standard input (-) can be read only once: with the bundle as -, give the records as files"
	assert_regex "$stderr" "Try 'ml-predict --help'"
	run --separate-stderr ml-predict - a.ndjson - <"$D/bin-gbdt.bundle"
	assert_equal "$status" 2
	assert_regex "$stderr" "^ml-predict: standard input \\(-\\) can be read only once"
	# --info reads no records
	run --separate-stderr ml-predict --info - <"$D/bin-gbdt.bundle"
	assert_success
}

@test "no bundle is a usage error" {
	run --separate-stderr ml-predict
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "ml-predict: no bundle: give the model bundle ml-train wrote"
	assert_regex "$stderr" "Try 'ml-predict --help'"
}

# --- bad bundles ---------------------------------------------------------------------------

# refused_bundle FILE PATTERN: scoring with bundle FILE exits 2, writes
# nothing, and says "ml-predict: FILE: " and PATTERN.
refused_bundle() {
	run --separate-stderr ml-predict "$1" "$BIN"
	assert_fails_with "^ml-predict: $1: .*$2"
	run --separate-stderr ml-predict --info "$1"
	assert_fails_with "^ml-predict: $1: .*$2"
}

@test "a bundle with a member changed is refused: it does not match its SHA-256" {
	local m
	for m in model.json preprocess.json schema.json profile.ndjson metrics.json; do
		reference flip "$D/bin-gbdt.bundle" flipped.bundle $m
		run cmp -s "$D/bin-gbdt.bundle" flipped.bundle
		assert_failure
		refused_bundle flipped.bundle "member $m does not match its SHA-256 in the manifest: the bundle is corrupt"
	done
	# the manifest itself
	reference flip "$D/bin-gbdt.bundle" flipped.bundle manifest.json
	refused_bundle flipped.bundle "corrupt"
	# a byte changed with dd, in model.json's data
	cp "$D/bin-logistic.bundle" dd.bundle
	local off
	off=$(/usr/bin/python3 -c 'import sys, tarfile; m = tarfile.open(sys.argv[1]).getmember("model.json"); print(m.offset_data + 5)' dd.bundle)
	printf 'Z' | dd of=dd.bundle bs=1 seek="$off" conv=notrunc 2>/dev/null
	refused_bundle dd.bundle "member model.json does not match its SHA-256"
}

@test "a truncated bundle is refused, wherever it is cut" {
	local size cut
	size=$(wc -c <"$D/multi-gbdt.bundle")
	for cut in 512 1000 1536 3000 $((size / 2)) $((size - 1024)) $((size - 1)); do
		head -c $cut "$D/multi-gbdt.bundle" >cut.bundle
		refused_bundle cut.bundle "truncated"
	done
}

@test "a bundle cut inside its first tar header is refused as truncated" {
	local cut
	for cut in 100 511; do
		head -c $cut "$D/multi-gbdt.bundle" >cut.bundle
		refused_bundle cut.bundle "truncated"
	done
}

@test "a file that is not a bundle is refused: empty, text, another tar, a compressed bundle, none at all" {
	: >empty.bundle
	refused_bundle empty.bundle "not a model bundle: the file is empty"
	cp "$BIN" text.bundle
	refused_bundle text.bundle "not a model bundle"
	echo hello >hello.txt
	tar -cf other.bundle hello.txt
	refused_bundle other.bundle "not a model bundle"
	gzip -c "$D/bin-gbdt.bundle" >gz.bundle
	refused_bundle gz.bundle "not a model bundle"
	run --separate-stderr ml-predict no-such.bundle "$BIN"
	assert_fails_with "cannot open 'no-such.bundle': No such file or directory"
	mkdir dir.bundle
	run --separate-stderr ml-predict dir.bundle "$BIN"
	assert_equal "$status" 2
	assert_regex "$stderr" "dir.bundle"
}

@test "a bundle of a newer format version, or of another format, is refused" {
	reference rebuild "$D/bin-logistic.bundle" v2.bundle version=2
	refused_bundle v2.bundle "bundle format version 2 is newer than this program reads \\(1\\)"
	reference rebuild "$D/bin-logistic.bundle" other.bundle 'format="something.else"'
	refused_bundle other.bundle "not a model bundle: manifest.json has format \"something.else\""
	# rebuilt with nothing changed, it is taken: the rebuilding is not what is refused
	reference rebuild "$D/bin-logistic.bundle" same.bundle
	assert_bytes_equal <(ml-predict "$D/bin-logistic.bundle" "$BIN") <(ml-predict same.bundle "$BIN")
}

@test "a bundle whose members do not match the manifest's list is refused" {
	# a member left out, one added, one listed with another size
	/usr/bin/python3 - "$D/regr-linear.bundle" <<'EOF'
import io, json, sys, tarfile
src = tarfile.open(sys.argv[1])
items = [(m, src.extractfile(m).read()) for m in src.getmembers()]
def write(path, items):
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        for m, data in items:
            info = tarfile.TarInfo(m.name)
            info.size, info.mode, info.mtime = len(data), m.mode, m.mtime
            t.addfile(info, io.BytesIO(data))
write("missing.bundle", [i for i in items if i[0].name != "schema.json"])
extra = tarfile.TarInfo("extra.txt")
write("extra.bundle", items + [(extra, b"hello\n")])
man = json.loads(items[0][1])
man["members"][0]["bytes"] += 1
write("size.bundle", [(items[0][0], json.dumps(man).encode())] + items[1:])
EOF
	refused_bundle missing.bundle "member schema.json listed in the manifest is missing"
	refused_bundle extra.bundle "member extra.txt is not listed in the manifest"
	refused_bundle size.bundle "member model.json has [0-9]+ bytes, the manifest says [0-9]+"
}
