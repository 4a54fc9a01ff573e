#!/usr/bin/env bats
# ml-eval: every metric against scikit-learn, overall and per slice, the
# bundle mode against ml-predict, the bootstrap, fairness, baselines,
# requirements, curves, the text table and bad input.
#
# The reference is fixtures/eval/reference.py, run with Debian's python3:
# it draws the records (seeded numpy generators: binary with tied
# probabilities and probabilities of exactly 0 and 1, multiclass with four
# string classes and a probabilities object, labels without probabilities,
# regression) and recomputes every metric with scikit-learn 1.2, NumPy,
# SciPy and pandas from the records, never from ml-eval's code; numbers
# agree to 1e-9.  The data sets and three small models (ml-train) are made
# once per file in setup_file.

load helper

setup_file() {
	if [ -n "${ML_BIN:-}" ]; then
		PATH="$ML_BIN:$PATH"
		export PATH
	fi
	export ML_RUN_LOG=off
	cd "$BATS_FILE_TMPDIR" || return 1
	reference gen-all .
	ml-train --target y --algo logistic -o logistic.bundle train.ndjson
	ml-train --target y --algo logistic -p C=0.01 -o weak.bundle train.ndjson
	ml-train --target y --algo gbdt -p rounds=20 -o gbdt.bundle train.ndjson
	ml-train --target y --algo logistic -o multi.bundle mtrain.ndjson
	local m
	for m in logistic weak gbdt; do
		ml-predict "$m.bundle" test.ndjson >"$m.pred.ndjson"
	done
	ml-predict multi.bundle mtest.ndjson >multi.pred.ndjson
}

setup() {
	ml_setup
	D=$BATS_FILE_TMPDIR
}

reference() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/eval/reference.py" "$@"
}

# assert_reference CHECK ARGS...: the reference finds nothing wrong (what it
# finds is shown).
assert_reference() {
	run --separate-stderr reference "$@"
	assert_success
	assert_output ""
}

# to_out CMD...: runs CMD with its standard output in out.ndjson.
to_out() {
	"$@" >out.ndjson
}

# evaluate ARGS...: ml-eval ARGS into out.ndjson; it succeeds, says nothing
# on stderr, and writes whole JSON lines.
evaluate() {
	run --separate-stderr to_out ml-eval "$@"
	assert_success
	assert_equal "$stderr" ""
	assert_json_lines out.ndjson
}

# evaluate_one_class ARGS...: as evaluate, for labels of one class: the AUC
# cannot be computed, and ml-eval says so on stderr and in "notes".
evaluate_one_class() {
	run --separate-stderr to_out ml-eval "$@"
	assert_success
	assert_equal "$stderr" "ml-eval: note: auc is undefined (null): the labels hold one class"
	assert_json_lines out.ndjson
	assert_equal "$(field out.ndjson '.notes | length')" 1
}

# field FILE JQ: JQ over the first line of FILE, compact.
field() {
	head -1 "$1" | jq -c "$2"
}

# metrics_only FILE: every line with the bundle and the inputs left out,
# keys sorted (what two ways of measuring the same predictions share).
metrics_only() {
	jq -Sc 'del(.bundle, .data)' "$1"
}

# assert_data_error FILE PATTERN: the last run exited 2, wrote nothing on
# stdout, and its stderr starts "ml-eval: " and matches PATTERN.
assert_data_error() {
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" '^ml-eval: '
	assert_regex "$stderr" "$1"
}

# --- every metric against scikit-learn -----------------------------------------

@test "binary: every metric and the confusion matrix match scikit-learn, overall and per --slice FIELD" {
	# region is sometimes missing or null (group "null"), tier a number, vip a boolean
	evaluate --label y --slice region --slice tier --slice vip "$D/binary.ndjson"
	assert_reference check out.ndjson "$D/binary.ndjson" --label y --slice region --slice tier --slice vip
	assert_equal "$(field out.ndjson '[.task, .records, .threshold, .classes, .label, .bundle]')" \
		'["binary",3000,0.5,[false,true],"y",null]'
	assert_equal "$(jq -r .slice out.ndjson | tr '\n' ' ')" \
		"overall region_us region_eu region_apac region_null tier_1 tier_3 tier_2 vip_false vip_true "
	# a slice line names what it cut by and the group's value as text
	assert_equal "$(jq -c 'select(.slice == "tier_3") | [.by, .value]' out.ndjson)" '["tier","3"]'
	assert_equal "$(jq -c 'select(.slice == "region_null") | [.by, .value]' out.ndjson)" '["region","null"]'
}

@test "binary: --slice NAME=EXPR groups by the expression's first value, a string without its quotes, no value in no group" {
	evaluate --label y --slice 'band=.probability * 4 | floor' \
		--slice 'big=if .amount > 150 then "big" else empty end' \
		--slice 'first=(.tier, .id)' "$D/binary.ndjson"
	assert_reference check out.ndjson "$D/binary.ndjson" --label y --slice 'band=.probability * 4 | floor' \
		--slice 'big=if .amount > 150 then "big" else empty end' --slice 'first=(.tier, .id)'
	# only the records with a value are in a group of "big"
	assert_equal "$(jq -c 'select(.by == "big") | [.slice, .value]' out.ndjson)" '["big_big","big"]'
	local big
	big=$(jq -s '[.[] | select(.amount > 150)] | length' "$D/binary.ndjson")
	assert_equal "$(field out.ndjson '.slices.big_big.records')" "$big"
	# the first value of (.tier, .id) is the tier
	assert_equal "$(jq -r 'select(.by == "first") | .value' out.ndjson | sort | tr '\n' ' ')" "1 2 3 "
	assert_equal "$(jq -r 'select(.by == "band") | .value' out.ndjson | sort | tr '\n' ' ')" "0 1 2 3 4 "
}

@test "binary: --threshold moves the predictions and the confusion matrix, not the ranking metrics" {
	evaluate --label y --threshold 0.3 --slice region "$D/binary-num.ndjson"
	assert_equal "$(field out.ndjson .threshold)" 0.3
	cp out.ndjson low.ndjson
	evaluate --label y "$D/binary-num.ndjson"
	assert_reference check low.ndjson "$D/binary-num.ndjson" --label y --threshold 0.3 --slice region \
		+ check out.ndjson "$D/binary-num.ndjson" --label y
	assert [ "$(field low.ndjson .positive_rate)" != "$(field out.ndjson .positive_rate)" ]
	assert_equal "$(field low.ndjson '[.auc, .log_loss, .brier]')" "$(field out.ndjson '[.auc, .log_loss, .brier]')"
}

@test "binary: the ECE is over --bins equal-width bins" {
	evaluate --label y --bins 5 "$D/binary.ndjson"
	mv out.ndjson five.ndjson
	evaluate --label y --bins 7 --slice region "$D/binary.ndjson"
	assert_reference check five.ndjson "$D/binary.ndjson" --label y --bins 5 \
		+ check out.ndjson "$D/binary.ndjson" --label y --bins 7 --slice region
}

@test "binary: class 1 is true, else 1, else the last label in order" {
	evaluate --label y "$D/binary-num.ndjson"
	assert_equal "$(field out.ndjson .classes)" '[0,1]'
	mv out.ndjson num.ndjson
	evaluate --label y --slice region "$D/binary-str.ndjson"
	assert_equal "$(field out.ndjson .classes)" '["churn","stay"]'
	assert_reference check num.ndjson "$D/binary-num.ndjson" --label y \
		+ check out.ndjson "$D/binary-str.ndjson" --label y --slice region
}

@test "binary: --positive names class 1 by the text of its label, a boolean's or a string's" {
	# the probability is then the probability of that class
	evaluate --label y --positive false --slice region "$D/binary.ndjson"
	mv out.ndjson false.ndjson
	evaluate --label y --positive churn "$D/binary-str.ndjson"
	mv out.ndjson churn.ndjson
	evaluate --label y --positive no "$D/labels.ndjson"
	assert_reference check false.ndjson "$D/binary.ndjson" --label y --positive false --slice region \
		+ check churn.ndjson "$D/binary-str.ndjson" --label y --positive churn \
		+ check out.ndjson "$D/labels.ndjson" --label y --positive no
	assert_equal "$(field churn.ndjson .classes)" '["stay","churn"]'
	# without probabilities, the other class swaps the confusion matrix
	cp out.ndjson no.ndjson
	evaluate --label y "$D/labels.ndjson"
	assert_equal "$(field no.ndjson '.confusion | [.tp, .fn, .fp, .tn]')" \
		"$(field out.ndjson '.confusion | [.tn, .fp, .fn, .tp]')"
	run --separate-stderr ml-eval --label y --positive maybe "$D/binary-str.ndjson"
	assert_equal "$status" 2
	assert_regex "$stderr" 'maybe'
}

@test "multiclass with a probabilities object: every metric and the confusion matrix match scikit-learn; classes bytewise" {
	evaluate --label y --slice region --slice tier "$D/multiclass.ndjson"
	assert_reference check out.ndjson "$D/multiclass.ndjson" --label y --slice region --slice tier
	assert_equal "$(field out.ndjson '[.task, .classes]')" '["multiclass",["Bat","cat","owl","émeu"]]'
	# rows are the true classes
	assert_equal "$(field out.ndjson '[.confusion[] | add]')" \
		"$(jq -s -c '[group_by(.y) | .[] | length]' "$D/multiclass.ndjson")"
	assert_equal "$(field out.ndjson '.threshold')" null
}

@test "labels without probabilities, two classes: the label-based metrics match scikit-learn, the rest are null" {
	evaluate --label y --slice region "$D/labels.ndjson"
	assert_reference check out.ndjson "$D/labels.ndjson" --label y --slice region
	assert_equal "$(field out.ndjson '[.task, .classes, .auc, .average_precision, .log_loss, .brier, .ece]')" \
		'["binary",["no","yes"],null,null,null,null,null]'
}

@test "labels without probabilities, three classes: multiclass, the label-based metrics match scikit-learn, log_loss null" {
	evaluate --label y --slice region "$D/mlabels.ndjson"
	assert_reference check out.ndjson "$D/mlabels.ndjson" --label y --slice region
	assert_equal "$(field out.ndjson '[.task, .classes, .log_loss]')" '["multiclass",["blue","green","red"],null]'
}

@test "a class that neither the labels nor the predictions of a slice hold is left out of its averages, as scikit-learn does" {
	printf '%s\n' '{"y":"red","prediction":"red","region":"eu"}' '{"y":"green","prediction":"red","region":"eu"}' \
		'{"y":"green","prediction":"green","region":"eu"}' '{"y":"blue","prediction":"blue","region":"us"}' \
		'{"y":"red","prediction":"blue","region":"us"}' >in.ndjson
	evaluate --label y --slice region in.ndjson
	assert_reference check out.ndjson in.ndjson --label y --slice region
}

@test "regression: every metric matches scikit-learn, overall and per slice" {
	evaluate --label y --slice region --slice tier "$D/regression.ndjson"
	assert_reference check out.ndjson "$D/regression.ndjson" --label y --slice region --slice tier
	assert_equal "$(field out.ndjson '[.task, .records, has("classes"), has("confusion"), has("threshold")]')" \
		'["regression",2000,false,false,false]'
}

@test "--pred and --prob name other fields" {
	jq -c '{truth: .y, guess: .prediction, p: .probability, region}' "$D/binary.ndjson" >renamed.ndjson
	evaluate --label truth --prob p --slice region renamed.ndjson
	mv out.ndjson binary.ndjson
	jq -c '{truth: .y, guess: .prediction}' "$D/mlabels.ndjson" >renamed2.ndjson
	evaluate --label truth --pred guess renamed2.ndjson
	assert_reference check binary.ndjson renamed.ndjson --label truth --prob p --slice region \
		+ check out.ndjson renamed2.ndjson --label truth --pred guess
}

@test "an input whose labels are all one class: auc is null, with a note, exit 0" {
	jq -c 'select(.y)' "$D/binary-small.ndjson" >one.ndjson
	evaluate_one_class --label y one.ndjson
	assert_equal "$(field out.ndjson '[.records > 0, .auc]')" '[true,null]'
	# with a bundle too, whose classes are both known
	jq -c 'select(.y | not)' "$D/test.ndjson" >one.ndjson
	jq -c 'select(.y | not)' "$D/logistic.pred.ndjson" >one.pred.ndjson
	evaluate_one_class "$D/logistic.bundle" one.ndjson
	assert_equal "$(field out.ndjson '[.records > 0, .auc, .classes, .confusion.tp + .confusion.fn]')" \
		'[true,null,[false,true],0]'
	assert_reference check out.ndjson one.pred.ndjson --label y --classes '[false,true]'
}

@test "an input whose labels are all true: true is still class 1, and the metrics are scikit-learn's" {
	jq -c 'select(.y)' "$D/binary-small.ndjson" >one.ndjson
	evaluate_one_class --label y one.ndjson
	assert_reference check out.ndjson one.ndjson --label y
	assert_equal "$(field out.ndjson '[.confusion.tn, .confusion.fp]')" '[0,0]'
}

@test "a --slice or --fairness FIELD that no record has a value of is trouble naming it, not one null group that passes" {
	printf '{"y":true,"probability":0.8,"g":"a","n":null}\n{"y":false,"probability":0.3,"g":null}\n' >in.ndjson
	run --separate-stderr ml-eval --label y --fairness nosuch --require '.fairness.demographic_parity_difference < 0.1' in.ndjson
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "ml-eval: --fairness nosuch: no record has a value of field 'nosuch'"
	for f in nosuch n; do
		run --separate-stderr ml-eval --label y --slice "$f" in.ndjson
		assert_equal "$status" 2
		assert_equal "$stderr" "ml-eval: --slice $f: no record has a value of field '$f'"
	done
	# a field some records have is a slice, its missing values the group null
	evaluate --label y --slice g --fairness g in.ndjson
	assert_equal "$(jq -r 'select(.by == "g") | .value' out.ndjson | sort | tr '\n' ' ')" "a null "
}

@test "labels of one class that is neither --positive, true nor 1 are class 0; --positive makes them class 1" {
	printf '{"y":"no","probability":0.2}\n{"y":"no","probability":0.7}\n' >no.ndjson
	evaluate_one_class --label y no.ndjson
	assert_equal "$(field out.ndjson '[.classes, .confusion, .accuracy]')" '[["no"],{"tn":1,"fp":1,"fn":0,"tp":0},0.5]'
	sed 's/"no"/"yes"/' no.ndjson >yes.ndjson
	evaluate_one_class --label y --positive yes yes.ndjson
	assert_equal "$(field out.ndjson '[.classes, .confusion, .accuracy]')" '[["yes"],{"tn":0,"fp":0,"fn":1,"tp":1},0.5]'
}

@test "a slice with one class: its auc is null and its other metrics are scikit-learn's" {
	jq -c '.grp = (if .y then "pos" else "neg" end)' "$D/binary-small.ndjson" >in.ndjson
	evaluate --label y --slice grp in.ndjson
	assert_reference check out.ndjson in.ndjson --label y --slice grp
	assert_equal "$(jq -c 'select(.by == "grp") | .auc' out.ndjson | sort -u)" null
}

# --- bundle mode ---------------------------------------------------------------

@test "with a bundle, the metrics are those of ml-predict | ml-eval --label y, and scikit-learn's on ml-predict's probabilities" {
	evaluate "$D/logistic.bundle" --slice region "$D/test.ndjson"
	cp out.ndjson bundle.ndjson
	evaluate --label y --slice region "$D/logistic.pred.ndjson"
	assert_equal "$(metrics_only bundle.ndjson)" "$(metrics_only out.ndjson)"
	assert_reference check bundle.ndjson "$D/logistic.pred.ndjson" --label y --slice region
	assert_equal "$(field bundle.ndjson '[.task, .label, .classes, .records]')" '["binary","y",[false,true],600]'
}

@test "with a bundle, --positive is a usage error: the bundle's classes are its own" {
	run --separate-stderr ml-eval --positive true "$D/logistic.bundle" "$D/test.ndjson"
	assert_equal "$status" 2
	assert_equal "$output" ""
	[[ "$stderr" == "ml-eval: --positive is for scored records; a bundle's classes are its own"* ]]
}

@test "with a multiclass bundle, the metrics are those of its ml-predict output, and scikit-learn's" {
	evaluate "$D/multi.bundle" --slice region "$D/mtest.ndjson"
	cp out.ndjson bundle.ndjson
	evaluate --label y --slice region "$D/multi.pred.ndjson"
	assert_equal "$(metrics_only bundle.ndjson)" "$(metrics_only out.ndjson)"
	assert_reference check bundle.ndjson "$D/multi.pred.ndjson" --label y --slice region
	assert_equal "$(field bundle.ndjson '[.task, .classes]')" '["multiclass",["a","b","c"]]'
}

@test "the overall line names the bundle and each input by its SHA-256" {
	head -300 "$D/test.ndjson" >a.ndjson
	tail -n +301 "$D/test.ndjson" >b.ndjson
	evaluate "$D/logistic.bundle" a.ndjson b.ndjson
	assert_equal "$(field out.ndjson .bundle)" "\"$(sha256_id "$D/logistic.bundle")\""
	assert_equal "$(field out.ndjson .data)" "[\"$(sha256_id a.ndjson)\",\"$(sha256_id b.ndjson)\"]"
	assert_equal "$(field out.ndjson .records)" 600
	# standard input is named by its content too; scored records have no bundle
	run --separate-stderr to_out ml-eval --label y <"$D/logistic.pred.ndjson"
	assert_success
	assert_equal "$(field out.ndjson '[.bundle, .data]')" "[null,[\"$(sha256_id "$D/logistic.pred.ndjson")\"]]"
}

# --- bootstrap -----------------------------------------------------------------

@test "--bootstrap gives an interval for every metric; the same seed gives the same output whatever --threads" {
	evaluate --label y --slice region --bootstrap 200 --seed 5 --threads 1 "$D/binary-small.ndjson"
	cp out.ndjson one.ndjson
	evaluate --label y --slice region --bootstrap 200 --seed 5 --threads 4 "$D/binary-small.ndjson"
	assert_bytes_equal one.ndjson out.ndjson
	evaluate --label y --slice region --bootstrap 200 --seed 5 "$D/binary-small.ndjson"
	assert_bytes_equal one.ndjson out.ndjson
	# every metric has its interval, on the slice lines too
	local names='["accuracy","precision","recall","f1","auc","average_precision","log_loss","brier","mcc","ece","positive_rate"]'
	assert_equal "$(jq -c --argjson m "$names" 'keys_unsorted as $k | [.bootstrap, .confidence, ($m | map(. + "_ci")) - $k]' out.ndjson | sort -u)" \
		'[200,0.95,[]]'
	assert_equal "$(field out.ndjson '[(.accuracy_ci | length), .accuracy_ci[0] <= .accuracy_ci[1]]')" '[2,true]'
	# another seed, other resamples
	evaluate --label y --slice region --bootstrap 200 --seed 6 "$D/binary-small.ndjson"
	assert [ "$(field one.ndjson .accuracy_ci)" != "$(field out.ndjson .accuracy_ci)" ]
}

@test "--bootstrap intervals hold the point estimate, narrow with more records, and widen with --confidence" {
	local m bad
	evaluate --label y --bootstrap 300 "$D/binary-small.ndjson"
	cp out.ndjson small.ndjson
	evaluate --label y --bootstrap 300 "$D/binary.ndjson"
	cp out.ndjson large.ndjson
	for m in accuracy precision recall f1 auc average_precision log_loss brier mcc positive_rate; do
		bad=$(jq -r --arg m "$m" 'select(.[$m] < .[$m + "_ci"][0] or .[$m] > .[$m + "_ci"][1]) | .slice' \
			small.ndjson large.ndjson)
		assert_equal "$bad" "" "$m outside its interval"
		assert_equal "$(jq -s --arg m "$m" \
			'map(.[$m + "_ci"] | .[1] - .[0]) | .[1] < .[0] / 2' small.ndjson large.ndjson)" true "$m narrower with 10 times the records"
	done
	evaluate --label y --bootstrap 300 --confidence 0.5 "$D/binary-small.ndjson"
	assert_equal "$(jq -s '.[0].auc_ci[1] - .[0].auc_ci[0] > .[1].auc_ci[1] - .[1].auc_ci[0]' small.ndjson out.ndjson)" true
	assert_equal "$(field out.ndjson .confidence)" 0.5
}

# --- fairness --------------------------------------------------------------------

@test "--fairness: per group positive rate, true positive rate and accuracy, and the gaps, as a pandas groupby gives them" {
	evaluate --label y --fairness region "$D/binary.ndjson"
	mv out.ndjson region.ndjson
	evaluate --label y --fairness tier --threshold 0.3 "$D/binary.ndjson"
	mv out.ndjson tier.ndjson
	evaluate "$D/logistic.bundle" --fairness color "$D/test.ndjson"
	assert_reference fairness region.ndjson "$D/binary.ndjson" region --label y \
		+ fairness tier.ndjson "$D/binary.ndjson" tier --label y --threshold 0.3 \
		+ fairness out.ndjson "$D/logistic.pred.ndjson" color --label y
}

# --- baseline --------------------------------------------------------------------

@test "--baseline BUNDLE: its own metrics, the differences, and McNemar's test (chi-square) on the same records" {
	evaluate "$D/gbdt.bundle" "$D/test.ndjson"
	cp out.ndjson gbdt.ndjson
	evaluate "$D/logistic.bundle" "$D/test.ndjson"
	cp out.ndjson logistic.ndjson
	evaluate --baseline "$D/gbdt.bundle" "$D/logistic.bundle" "$D/test.ndjson"
	local names='["accuracy","precision","recall","f1","auc","average_precision","log_loss","brier","mcc","ece","positive_rate"]'
	# its metrics are those of its own run
	assert_equal "$(jq -c --argjson m "$names" '[.baseline[$m[]]]' out.ndjson)" \
		"$(jq -c --argjson m "$names" '[.[$m[]]]' gbdt.ndjson)"
	assert_equal "$(field out.ndjson .baseline.bundle)" "\"$(sha256_id "$D/gbdt.bundle")\""
	# the candidate's are unchanged, and diff = candidate - baseline
	assert_equal "$(jq -c --argjson m "$names" '[.[$m[]]]' out.ndjson)" \
		"$(jq -c --argjson m "$names" '[.[$m[]]]' logistic.ndjson)"
	assert_equal "$(jq -c --argjson m "$names" '[$m[] as $k | (.baseline.diff[$k] - (.[$k] - .baseline[$k])) | fabs < 1e-12] | all' out.ndjson)" true
	assert_equal "$(field out.ndjson '.baseline.diff | keys_unsorted')" "$names"
	assert_reference mcnemar out.ndjson "$D/logistic.pred.ndjson" "$D/gbdt.pred.ndjson" y
	assert_equal "$(field out.ndjson .baseline.mcnemar.exact)" false
	assert_equal "$(field out.ndjson '.baseline | has("p_value")')" false
}

@test "--baseline BUNDLE: McNemar's test is exact below 25 discordant records" {
	evaluate --baseline "$D/weak.bundle" "$D/logistic.bundle" "$D/test.ndjson"
	assert_reference mcnemar out.ndjson "$D/logistic.pred.ndjson" "$D/weak.pred.ndjson" y
	assert_equal "$(field out.ndjson '.baseline.mcnemar | [.exact, .candidate_only + .baseline_only > 0]')" '[true,true]'
}

@test "--baseline BUNDLE with --bootstrap: a paired p-value per metric, the same for any --threads" {
	evaluate --baseline "$D/gbdt.bundle" --bootstrap 100 --seed 3 --threads 1 "$D/logistic.bundle" "$D/test.ndjson"
	cp out.ndjson one.ndjson
	evaluate --baseline "$D/gbdt.bundle" --bootstrap 100 --seed 3 --threads 3 "$D/logistic.bundle" "$D/test.ndjson"
	assert_bytes_equal one.ndjson out.ndjson
	assert_equal "$(field out.ndjson '.baseline.p_value | keys_unsorted')" "$(field out.ndjson '.baseline.diff | keys_unsorted')"
	assert_equal "$(field out.ndjson '[.baseline.p_value[] | . >= 0 and . <= 1] | all')" true
}

@test "--baseline METRICS: an earlier run's overall line gives the baseline metrics and the differences, no McNemar" {
	evaluate --label y "$D/weak.pred.ndjson"
	cp out.ndjson earlier.ndjson
	evaluate --label y --baseline earlier.ndjson "$D/logistic.pred.ndjson"
	local names='["accuracy","precision","recall","f1","auc","average_precision","log_loss","brier","mcc","ece","positive_rate"]'
	assert_equal "$(jq -c --argjson m "$names" '[.baseline[$m[]]]' out.ndjson)" \
		"$(jq -c --argjson m "$names" '[.[$m[]]]' earlier.ndjson)"
	assert_equal "$(jq -c --argjson m "$names" '[$m[] as $k | (.baseline.diff[$k] - (.[$k] - .baseline[$k])) | fabs < 1e-12] | all' out.ndjson)" true
	assert_equal "$(field out.ndjson '[.baseline.bundle, (.baseline | has("mcnemar"))]')" '[null,false]'
	# a bundle's earlier run names its bundle
	evaluate "$D/weak.bundle" "$D/test.ndjson"
	cp out.ndjson earlier.ndjson
	evaluate --baseline earlier.ndjson "$D/logistic.bundle" "$D/test.ndjson"
	assert_equal "$(field out.ndjson .baseline.bundle)" "\"$(sha256_id "$D/weak.bundle")\""
}

@test "scored records through a pipe or a FIFO are read whole, as from a file" {
	ml-eval --label y "$D/logistic.pred.ndjson" >want.ndjson
	# more than the 10 KiB a bundle's head takes: none of it is lost to a look
	[ "$(wc -c <"$D/logistic.pred.ndjson")" -gt 20000 ]
	run --separate-stderr ml-eval --label y <(cat "$D/logistic.pred.ndjson")
	assert_success
	assert_equal "$output" "$(cat want.ndjson)"
	mkfifo fifo
	cat "$D/logistic.pred.ndjson" >fifo &
	run --separate-stderr ml-eval --label y fifo
	assert_success
	assert_equal "$output" "$(cat want.ndjson)"
}

@test "--baseline BUNDLE with scored records as the candidate is refused (exit 2)" {
	run --separate-stderr ml-eval --label y --baseline "$D/gbdt.bundle" "$D/logistic.pred.ndjson"
	assert_data_error 'baseline'
}

# --- requirements ----------------------------------------------------------------

@test "--require: exit 0 when every requirement holds, each listed in the overall line" {
	evaluate --label y --require '.auc >= 0.5' --require '.records == 3000' "$D/binary.ndjson"
	assert_equal "$(field out.ndjson .requirements)" \
		'[{"expr":".auc >= 0.5","holds":true},{"expr":".records == 3000","holds":true}]'
}

@test "--require: exit 1 when one fails, named on stderr, the metrics still written" {
	run --separate-stderr to_out ml-eval --label y --require '.auc >= 0.5' --require '.accuracy > 0.99' \
		--require '.f1 > 2' "$D/binary.ndjson"
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "ml-eval: requirement failed: .accuracy > 0.99 (false)"
	assert_equal "${stderr_lines[1]}" "ml-eval: requirement failed: .f1 > 2 (false)"
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "$(field out.ndjson '[.requirements[].holds]')" '[true,false,false]'
	assert_equal "$(field out.ndjson .records)" 3000
}

@test "--require reaches the slices: .slices.region_eu.recall" {
	local recall
	evaluate --label y --slice region "$D/binary.ndjson"
	recall=$(jq 'select(.slice == "region_eu") | .recall' out.ndjson)
	evaluate --label y --slice region --require ".slices.region_eu.recall == $recall" "$D/binary.ndjson"
	run --separate-stderr to_out ml-eval --label y --slice region \
		--require ".slices.region_eu.recall > $recall" "$D/binary.ndjson"
	assert_failure 1
	assert_regex "$stderr" "requirement failed: \.slices\.region_eu\.recall > "
}

@test "--require with an expression jq cannot compile: exit 2 before any input is read" {
	run --separate-stderr ml-eval --label y --require '.auc >=' no-such-file.ndjson
	assert_data_error '--require'
	refute_regex "$stderr" 'no-such-file'
}

# --- curves ----------------------------------------------------------------------

@test "--curves: ROC, precision-recall and calibration curves are scikit-learn's, overall and per slice" {
	evaluate --label y --slice region --curves curves.ndjson "$D/binary.ndjson"
	assert_json_lines curves.ndjson
	# the metrics do not change with --curves
	cp out.ndjson with.ndjson
	evaluate --label y --slice region "$D/binary.ndjson"
	assert_bytes_equal with.ndjson out.ndjson
	evaluate "$D/logistic.bundle" --bins 7 --curves curves7.ndjson "$D/test.ndjson"
	assert_json_lines curves7.ndjson
	assert_reference curves curves.ndjson "$D/binary.ndjson" --label y --slice region \
		+ curves curves7.ndjson "$D/logistic.pred.ndjson" --label y --bins 7
}

# --- the text table --------------------------------------------------------------

@test "-f text: a table, the header, then the overall row, then a row per slice" {
	run --separate-stderr ml-eval -f text --label y --slice region "$D/binary.ndjson"
	assert_success
	local acc
	acc=$(jq -r 'select(.slice == "overall") | .accuracy * 10000 | round / 10000' <(ml-eval --label y "$D/binary.ndjson"))
	assert_regex "${lines[0]}" '^slice +records +accuracy +precision +recall +f1 +auc +log_loss$'
	assert_regex "${lines[1]}" "^overall +3000 +${acc}"
	assert_equal "$(printf '%s\n' "${lines[@]:2}" | awk '{print $1}' | tr '\n' ' ')" \
		"region_us region_eu region_apac region_null "
	assert_equal "${#lines[@]}" 6
}

# --- bad input -------------------------------------------------------------------

@test "a record without the label field: exit 2, naming the file and line" {
	head -4 "$D/binary-small.ndjson" >in.ndjson
	echo '{"probability":0.4,"prediction":false}' >>in.ndjson
	run --separate-stderr ml-eval --label y in.ndjson
	assert_data_error '^ml-eval: in\.ndjson:5: .*label.*y'
}

@test "a record without the prediction field: exit 2, naming the file and line" {
	head -3 "$D/mlabels.ndjson" >in.ndjson
	echo '{"y":"red"}' >>in.ndjson
	run --separate-stderr ml-eval --label y in.ndjson
	assert_data_error '^ml-eval: in\.ndjson:4: .*prediction'
	head -3 "$D/regression.ndjson" >in.ndjson
	echo '{"y":3,"prediction":null}' >>in.ndjson
	run --separate-stderr ml-eval --label y in.ndjson
	assert_data_error '^ml-eval: in\.ndjson:4: .*prediction'
}

@test "a record without the probability the first record had: exit 2, naming the file and line" {
	head -2 "$D/binary-small.ndjson" >in.ndjson
	echo '{"y":true,"prediction":true}' >>in.ndjson
	run --separate-stderr ml-eval --label y in.ndjson
	assert_data_error '^ml-eval: in\.ndjson:3: .*probability'
}

@test "a probability outside [0, 1]: exit 2, naming the file and line" {
	head -2 "$D/binary-small.ndjson" >in.ndjson
	echo '{"y":true,"probability":1.5}' >>in.ndjson
	run --separate-stderr ml-eval --label y in.ndjson
	assert_data_error '^ml-eval: in\.ndjson:3: .*1\.5'
	head -2 "$D/multiclass.ndjson" >in.ndjson
	echo '{"y":"owl","probabilities":{"owl":1.2,"Bat":-0.2,"cat":0,"émeu":0}}' >>in.ndjson
	run --separate-stderr ml-eval --label y in.ndjson
	assert_data_error '^ml-eval: in\.ndjson:3: .*probability'
}

@test "a feature beyond the model's floats: exit 2, naming the file and line, for trees and linear models and a baseline" {
	head -3 "$D/test.ndjson" >in.ndjson
	echo '{"id":9,"x1":1e400,"x2":0.5,"color":"blue","flag":true,"region":"apac","y":false}' >>in.ndjson
	head -2 "$D/test.ndjson" >>in.ndjson
	for m in gbdt logistic; do
		run --separate-stderr ml-eval --label y "$D/$m.bundle" in.ndjson
		assert_data_error "^ml-eval: in\\.ndjson:4: .*feature 'x1': 1e400 does not fit a double"
	done
	run --separate-stderr ml-eval --label y --baseline "$D/gbdt.bundle" "$D/logistic.bundle" in.ndjson
	assert_data_error '^ml-eval: in\.ndjson:4: .*x1'
}

@test "a label that is not one of the bundle's classes: exit 2, naming the file and line" {
	head -3 "$D/mtest.ndjson" >in.ndjson
	head -1 "$D/mtest.ndjson" | jq -c '.y = "d"' >>in.ndjson
	run --separate-stderr ml-eval "$D/multi.bundle" in.ndjson
	assert_data_error '^ml-eval: in\.ndjson:4: .*"d"'
}

@test "an empty input: exit 2" {
	: >empty.ndjson
	run --separate-stderr ml-eval --label y empty.ndjson
	assert_data_error 'no records'
	run --separate-stderr ml-eval "$D/logistic.bundle" </dev/null
	assert_data_error 'no records'
}

@test "--fairness on a regression: exit 2" {
	run --separate-stderr ml-eval --label y --fairness region "$D/regression.ndjson"
	assert_data_error 'fairness.*binary'
}

@test "neither a bundle nor --label: a usage error" {
	run --separate-stderr ml-eval "$D/binary-small.ndjson"
	assert_usage_error ml-eval
}

@test "-o is written only when all went well" {
	head -2 "$D/binary-small.ndjson" >in.ndjson
	echo '{"y":true,"probability":2}' >>in.ndjson
	run --separate-stderr ml-eval --label y -o metrics.ndjson in.ndjson
	assert_equal "$status" 2
	assert [ ! -e metrics.ndjson ]
	assert_no_temp_files
	run --separate-stderr ml-eval --label y -o metrics.ndjson "$D/binary-small.ndjson"
	assert_success
	assert_equal "$output" ""
	assert_equal "$(field metrics.ndjson .records)" 300
}
