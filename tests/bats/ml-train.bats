#!/usr/bin/env bats
# ml-train: models checked against scikit-learn on data sets it ships, the
# bundle's model against its backend's own predictions, reproducibility,
# every member of the bundle, cross-validation and the grid, every bad
# input.  The reference is fixtures/train/reference.py, run with Debian's
# python3 (NumPy, scikit-learn, XGBoost), reading records, bundles and
# predictions with Python's json and tarfile.

load helper

setup_file() {
	local d=$BATS_FILE_TMPDIR
	export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
	# breast cancer (binary), wine (3 classes), diabetes (regression), each
	# split 70/30 five ways, with string, boolean and missing features
	reference gen cancer "$d/cancer" 5
	reference gen wine "$d/wine" 5
	reference gen diabetes "$d/diabetes" 5
	# small problems with a known signal
	reference gen-toy binary 400 1 >"$d/binary.ndjson"
	reference gen-toy multiclass 400 2 >"$d/multi.ndjson"
	reference gen-toy regression 400 3 >"$d/regr.ndjson"
}

setup() {
	ml_setup
	# XGBoost's threads spin while they wait: on a busy machine its default
	# (a thread per core) makes small trainings take seconds; the tests
	# that are about threads give --threads, and wait passively
	export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
	BIN=$BATS_FILE_TMPDIR/binary.ndjson
	MULTI=$BATS_FILE_TMPDIR/multi.ndjson
	REGR=$BATS_FILE_TMPDIR/regr.ndjson
}

reference() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/fixtures/train/reference.py" "$@"
}

# assert_reference CHECK ARGS...: the reference finds nothing wrong (what it
# finds, and what it reports, is shown).
assert_reference() {
	run reference "$@"
	assert_success
}

# member BUNDLE NAME: the member's bytes on stdout.
member() {
	tar -xOf "$1" "$2"
}

# manifest BUNDLE: its manifest.
manifest() {
	member "$1" manifest.json
}

# assert_fails_with PATTERN: the last `run --separate-stderr` exited 2, wrote
# nothing on stdout, and its stderr starts "ml-train: " and matches PATTERN.
assert_fails_with() {
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" '^ml-train: '
	assert_regex "$stderr" "$1"
}

# refused PATTERN ARGS...: ml-train ARGS -o out.bundle exits 2 with a
# message matching PATTERN and leaves no out.bundle and no temporary file.
refused() {
	local pattern=$1
	shift
	run --separate-stderr ml-train "$@" -o out.bundle
	assert_fails_with "$pattern"
	assert [ ! -e out.bundle ]
	assert_no_temp_files
}

# train_splits DATASET ALGO ARGS...: on each of the 5 splits of DATASET (a
# copy in the test's directory), trains ALGO with ARGS on I/train.ndjson and
# scores I/test.ndjson into I/ALGO.pred.ndjson.  For trees, the parameters
# that make XGBoost start and split as scikit-learn does are added.
train_splits() {
	local name=$1 algo=$2 i kv
	shift 2
	cp -r "$BATS_FILE_TMPDIR/$name" .
	for i in 0 1 2 3 4; do
		local extra=()
		if [ "$algo" = gbdt ]; then
			for kv in $(reference hgb-match "$name/$i/train.ndjson"); do extra+=(-p "$kv"); done
		fi
		ml-train -t y -a "$algo" "$@" "${extra[@]}" -o "$name/$i/$algo.bundle" "$name/$i/train.ndjson"
		ml-predict "$name/$i/$algo.bundle" "$name/$i/test.ndjson" >"$name/$i/$algo.pred.ndjson"
	done
}

# --- against scikit-learn ------------------------------------------------------

@test "logistic (C=1): test ROC AUC on breast cancer is within 1% of scikit-learn's LogisticRegression on each of 5 splits" {
	train_splits cancer logistic -p C=1
	assert_reference compare cancer logistic cancer 5 C=1
}

@test "logistic (C=1): test accuracy on wine's 3 classes is within 1% of scikit-learn's LogisticRegression on each of 5 splits" {
	# the classes are the numbers 0, 1, 2: --task multiclass makes them classes
	train_splits wine logistic --task multiclass -p C=1
	assert_reference compare wine logistic wine 5 C=1
}

@test "linear (alpha=1): test R² on diabetes is within 1% of scikit-learn's Ridge on each of 5 splits" {
	train_splits diabetes linear -p alpha=1
	assert_reference compare diabetes linear diabetes 5 alpha=1
}

@test "gbdt: mean test ROC AUC on breast cancer over 5 splits is within 1% of scikit-learn's HistGradientBoostingClassifier" {
	train_splits cancer gbdt -p rounds=50 -p max_depth=3 -p eta=0.1
	assert_reference compare cancer gbdt cancer 5 rounds=50 max_depth=3 eta=0.1
}

@test "gbdt: mean test accuracy on wine over 5 splits is within 1% of scikit-learn's HistGradientBoostingClassifier" {
	train_splits wine gbdt --task multiclass -p rounds=50 -p max_depth=3 -p eta=0.1
	assert_reference compare wine gbdt wine 5 rounds=50 max_depth=3 eta=0.1
}

@test "gbdt: mean test R² on diabetes over 5 splits is within 1% of scikit-learn's HistGradientBoostingRegressor" {
	train_splits diabetes gbdt -p rounds=50 -p max_depth=3 -p eta=0.1
	assert_reference compare diabetes gbdt diabetes 5 rounds=50 max_depth=3 eta=0.1
}

@test "linear's weights are scikit-learn's Ridge's on the standardised design (alpha 1 and 100), and least squares' fit with alpha 0" {
	local train=$BATS_FILE_TMPDIR/diabetes/0/train.ndjson a
	for a in 0 1 100; do
		ml-train -t y -a linear -p alpha=$a -o r$a.bundle "$train"
	done
	assert_reference ridge-check r0.bundle "$train" 0 + r1.bundle "$train" 1 + r100.bundle "$train" 100
	# the penalty does something
	run cmp -s r1.bundle r100.bundle
	assert_failure
}

@test "linear with --weight fits scikit-learn's weighted Ridge" {
	awk '{ sub(/}$/, ",\"w\":" (NR % 4) * 0.75 + 0.25 "}"); print }' "$REGR" >w.ndjson
	ml-train -t y -a linear -p alpha=2 --weight w -o w.bundle w.ndjson
	assert_reference ridge-check w.bundle w.ndjson 2 w
	assert_equal "$(manifest w.bundle | jq -r '.weight, ([.features[].name] | join(","))')" "$(printf 'w\nx,z,color,flag')"
}

# --- the bundle's model is the backend's -------------------------------------------

@test "gbdt probabilities and values equal XGBoost's own predictions from model.json, to 1e-6" {
	# unseen colours, missing and null values among the records scored
	{
		cat "$BATS_FILE_TMPDIR/cancer/0/test.ndjson"
	} >cancer.ndjson
	printf '%s\n' '{"x":0.5,"color":"mauve","flag":true}' '{"z":null,"color":null}' '{}' >odd.ndjson
	ml-train -t y -a gbdt -p rounds=20 -p max_depth=4 -o c.bundle "$BATS_FILE_TMPDIR/cancer/0/train.ndjson"
	ml-predict c.bundle cancer.ndjson >c.pred
	local data args=(c.bundle cancer.ndjson c.pred)
	for data in "$BIN" "$MULTI" "$REGR"; do
		local t=${data##*/}
		ml-train -t y -a gbdt -p rounds=15 -p max_depth=3 -p eta=0.2 -o "$t.bundle" "$data"
		cat "$data" odd.ndjson >"$t.in"
		ml-predict "$t.bundle" "$t.in" >"$t.pred"
		args+=(+ "$t.bundle" "$t.in" "$t.pred")
	done
	assert_reference gbdt-check "${args[@]}"
}

@test "logistic and linear scores equal sigmoid(coef·x + intercept) (or the value) from model.json and preprocess.json, to 1e-9" {
	printf '%s\n' '{"x":0.5,"color":"mauve","flag":true}' '{"z":null,"color":null}' '{}' >odd.ndjson
	local data algo args=()
	for data in "$BIN:logistic" "$MULTI:logistic" "$REGR:linear"; do
		algo=${data##*:}
		data=${data%:*}
		local t=${data##*/}
		ml-train -t y -a "$algo" -o "$t.bundle" "$data"
		cat "$data" odd.ndjson >"$t.in"
		ml-predict "$t.bundle" "$t.in" >"$t.pred"
		args+=("$t.bundle" "$t.in" "$t.pred" +)
	done
	# and wine's string features and missing values
	local wine=$BATS_FILE_TMPDIR/wine/0
	ml-train -t y -a logistic --task multiclass -o w.bundle "$wine/train.ndjson"
	ml-predict w.bundle "$wine/test.ndjson" >w.pred
	assert_reference linear-check "${args[@]}" w.bundle "$wine/test.ndjson" w.pred
}

# --- reproducibility -------------------------------------------------------------

@test "training twice gives byte-identical bundles, for each algorithm" {
	local args
	while read -r args; do
		# shellcheck disable=SC2086
		ml-train -t y $args -o a.bundle
		# shellcheck disable=SC2086
		ml-train -t y $args -o b.bundle
		assert_bytes_equal a.bundle b.bundle
		assert_equal "$(sha256sum <a.bundle)" "$(sha256sum <b.bundle)"
	done <<EOF
-a logistic -p C=1 $BIN
-a logistic -p penalty=l1 --seed 4 $MULTI
-a linear -p alpha=0.5 $REGR
-a gbdt -p subsample=0.7 -p colsample_bytree=0.5 -p rounds=20 --seed 3 $BIN
-a gbdt -p rounds=10 --threads 2 $MULTI
-a logistic --cv 3 --grid C=0.1,1 $BIN
EOF
}

@test "the same bytes give the same bundle under any file name, on standard input and through a pipe" {
	ml-train -t y -a gbdt -p rounds=5 -o file.bundle "$BIN"
	cp "$BIN" other-name.ndjson
	ml-train -t y -a gbdt -p rounds=5 -o renamed.bundle other-name.ndjson
	ml-train -t y -a gbdt -p rounds=5 -o stdin.bundle <"$BIN"
	# shellcheck disable=SC2002
	cat "$BIN" | ml-train -t y -a gbdt -p rounds=5 >pipe.bundle
	assert_bytes_equal file.bundle renamed.bundle
	assert_bytes_equal file.bundle stdin.bundle
	assert_bytes_equal file.bundle pipe.bundle
	# nor do -v, --report, the run log or -o's name enter it
	ml-train -v -t y -a gbdt -p rounds=5 --run-log runs.ndjson -o elsewhere.bundle "$BIN" 2>/dev/null
	assert_bytes_equal file.bundle elsewhere.bundle
}

@test "with subsample below 1 another --seed gives another model; the seed is in the manifest" {
	ml-train -t y -a gbdt -p subsample=0.5 -p rounds=10 --seed 1 -o s1.bundle "$BIN"
	ml-train -t y -a gbdt -p subsample=0.5 -p rounds=10 --seed 2 -o s2.bundle "$BIN"
	run cmp -s s1.bundle s2.bundle
	assert_failure
	run cmp -s <(member s1.bundle model.json) <(member s2.bundle model.json)
	assert_failure
	assert_equal "$(manifest s1.bundle | jq .seed),$(manifest s2.bundle | jq .seed)" "1,2"
	# the data's members do not depend on the seed
	assert_bytes_equal <(member s1.bundle preprocess.json) <(member s2.bundle preprocess.json)
	assert_bytes_equal <(member s1.bundle profile.ndjson) <(member s2.bundle profile.ndjson)
}

@test "SOURCE_DATE_EPOCH sets the members' mtimes (default 0) and changes none of their bytes" {
	ml-train -t y -a gbdt -p rounds=5 -o zero.bundle "$BIN"
	SOURCE_DATE_EPOCH=1700000000 ml-train -t y -a gbdt -p rounds=5 -o dated.bundle "$BIN"
	run cmp -s zero.bundle dated.bundle
	assert_failure
	assert_equal "$(TZ=UTC tar --full-time -tvf zero.bundle | awk '{ print $4 " " $5 }' | sort -u)" "1970-01-01 00:00:00"
	assert_equal "$(TZ=UTC tar --full-time -tvf dated.bundle | awk '{ print $4 " " $5 }' | sort -u)" "2023-11-14 22:13:20"
	assert_equal "$(reference members zero.bundle)" "$(reference members dated.bundle)"
	# the largest a ustar header holds is taken
	SOURCE_DATE_EPOCH=8589934591 ml-train -t y -a logistic -o max.bundle "$BIN"
	# a bad one is refused: not decimal, empty, negative, too large
	local bad
	for bad in soon "" -1 1e9 8589934592; do
		SOURCE_DATE_EPOCH=$bad refused 'SOURCE_DATE_EPOCH' -t y -a logistic "$BIN"
	done
}

# --- what the bundle holds ---------------------------------------------------------

@test "a bundle is a plain tar of manifest.json, model.json, preprocess.json, schema.json, profile.ndjson and metrics.json, in that order" {
	ml-train -t y -a logistic -o m.bundle "$BIN"
	assert_equal "$(tar -tf m.bundle | tr '\n' ' ')" \
		"manifest.json model.json preprocess.json schema.json profile.ndjson metrics.json "
	# regular files, mode 0644, owned by 0/0
	assert_equal "$(tar -tvf m.bundle | awk '{ print $1, $2 }' | sort -u)" "-rw-r--r-- 0/0"
	ml-train -t y -a gbdt -p rounds=3 -o g.bundle "$REGR"
	assert_equal "$(tar -tf g.bundle | tr '\n' ' ')" \
		"manifest.json model.json preprocess.json schema.json profile.ndjson metrics.json "
}

@test "the manifest gives the format, program, algorithm, backend, task, target, classes, features, params, seed, threads, rounds and training data" {
	ml-train -t y -a gbdt -p rounds=7 -p max_depth=2 -p rounds=6 --seed 5 --threads 1 -o m.bundle "$BIN"
	manifest m.bundle >m.json
	assert_equal "$(nlines m.json)" 1
	assert_json_lines m.json
	assert_equal "$(jq -c 'keys_unsorted | [first, .[1], last]' m.json)" '["format","version","members"]'
	assert_equal "$(jq -c '[.format, .version]' m.json)" '["mlpipe.bundle",1]'
	assert_equal "$(jq -r .mlpipe_version m.json)" "$(ml-train --version | awk '{ print $NF }')"
	assert_equal "$(jq -r .backend m.json)" "xgboost $(/usr/bin/python3 -c 'import xgboost; print(xgboost.__version__)')"
	assert_equal "$(jq -c '[.algorithm, .task, .target, .classes, .weight]' m.json)" '["gbdt","binary","y",["no","yes"],null]'
	# for trees, the numbers and booleans spread among the categories
	assert_equal "$(jq -c .features m.json)" \
		'[{"name":"x","kind":"number","columns":1},{"name":"color","kind":"category","columns":7},{"name":"z","kind":"number","columns":1},{"name":"flag","kind":"boolean","columns":1}]'
	# each parameter once, its last value, as a string
	assert_equal "$(jq -c '[.params, .max_categories, .seed, .threads, .rounds]' m.json)" '[{"rounds":"6","max_depth":"2"},20,5,1,6]'
	assert_equal "$(jq -c .training m.json)" \
		"{\"records\":400,\"bytes\":$(wc -c <"$BIN"),\"sources\":[\"$(sha256_id "$BIN")\"]}"
	# two inputs: both hashed, in order
	head -150 "$BIN" >a.ndjson
	tail -n +151 "$BIN" >b.ndjson
	ml-train -t y -a logistic -p C=0.5 -o two.bundle a.ndjson b.ndjson
	manifest two.bundle >two.json
	assert_equal "$(jq -c .training two.json)" \
		"{\"records\":400,\"bytes\":$(cat a.ndjson b.ndjson | wc -c),\"sources\":[\"$(sha256_id a.ndjson)\",\"$(sha256_id b.ndjson)\"]}"
	assert_equal "$(jq -r .backend two.json)" "liblinear $(awk '/define LIBLINEAR_VERSION/ { print $3 }' /usr/include/linear.h)"
	assert_equal "$(jq -c '[.algorithm, .params, has("threads"), has("rounds")]' two.json)" '["logistic",{"C":"0.5"},false,false]'
	ml-train -t y -a linear -o r.bundle "$REGR"
	assert_equal "$(manifest r.bundle | jq -c '[.algorithm, .backend, .task, .classes, .params, has("threads")]')" \
		'["linear","mlpipe","regression",null,{},false]'
	# the default threads are 0, the backend's
	ml-train -t y -a gbdt -p rounds=2 -o d.bundle "$REGR"
	assert_equal "$(manifest d.bundle | jq -c '[.threads, .rounds, .seed]')" '[0,2,0]'
}

@test "the manifest lists every other member with its bytes and SHA-256" {
	ml-train -t y -a gbdt -p rounds=4 -o m.bundle "$MULTI"
	assert_equal "$(manifest m.bundle | jq -r '.members[] | "\(.name) \(.sha256 | ltrimstr("sha256:")) \(.bytes)"')" \
		"$(reference members m.bundle | tail -n +2)"
	assert_equal "$(manifest m.bundle | jq -r '.members[].sha256' | grep -c '^sha256:[0-9a-f]\{64\}$')" 5
}

@test "ml-predict --info prints one JSON line: the bundle's SHA-256, its manifest, metrics and encoding" {
	ml-train -t y -a logistic --cv 3 -o m.bundle "$MULTI"
	run --separate-stderr ml-predict --info m.bundle
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	echo "$output" >info.json
	assert_json_lines info.json
	assert_equal "$(jq -c keys_unsorted info.json)" '["sha256","manifest","metrics","encoding"]'
	assert_equal "$(jq -r .sha256 info.json)" "$(sha256_id m.bundle)"
	run jq -e --slurpfile m <(manifest m.bundle) --slurpfile x <(member m.bundle metrics.json) \
		--slurpfile e <(member m.bundle preprocess.json) \
		'.manifest == $m[0] and .metrics == $x[0] and .encoding == $e[0]' info.json
	assert_success
}

@test "schema.json is ml-validate's schema of the training data for the features, the target not required, and it accepts that data" {
	local data
	# fields that are not features are not in it
	{ echo '{"id":"a1","note":[1],"x":1,"y":"no"}'; cat "$BIN"; } >extra.ndjson
	cp "$BATS_FILE_TMPDIR/wine/0/train.ndjson" wine.ndjson
	ml-train -t y -a logistic --exclude id,note -o extra.bundle extra.ndjson
	ml-train -t y -a logistic --task multiclass -o wine.bundle wine.ndjson
	for data in extra wine; do
		cp "$data.bundle" m.bundle
		data=$data.ndjson
		member m.bundle schema.json >schema.json
		assert_equal "$(jq -r .format schema.json)" mlpipe.schema
		# what ml-validate --infer says of the same fields
		ml-validate --infer "$data" >inferred.json
		jq -S --argjson keep "$(manifest m.bundle | jq -c '[.features[].name, .target]')" \
			'.description |= sub("ml-validate"; "ml-train")
			| .fields |= with_entries(select(.key as $k | $keep | index($k)))
			| .fields.y.required = false' inferred.json >want.json
		assert_equal "$(jq -S . schema.json)" "$(cat want.json)"
		run --separate-stderr ml-validate -s schema.json "$data"
		assert_success
		assert_equal "$(nlines <(echo "$output"))" "$(nlines "$data")"
		# records to score have no target
		jq -c 'del(.y)' "$data" >unlabelled.ndjson
		run --separate-stderr ml-validate -s schema.json unlabelled.ndjson
		assert_success
	done
	# and it refuses what the training data never was
	echo '{"x":"one","z":1,"color":"red","flag":true,"y":"no"}' >bad.ndjson
	ml-train -t y -a logistic -o m.bundle "$BIN"
	member m.bundle schema.json >schema.json
	run --separate-stderr ml-validate -s schema.json bad.ndjson
	assert_failure
}

@test "profile.ndjson is ml-stats' profile of the training data" {
	ml-train -t y -a gbdt -p rounds=3 -o m.bundle "$BIN"
	member m.bundle profile.ndjson >profile.ndjson
	ml-stats "$BIN" >want.ndjson
	assert_bytes_equal want.ndjson profile.ndjson
	# a few numbers from the records themselves
	assert_equal "$(jq -c 'select(.column == "z") | [.present, .number.count]' profile.ndjson)" \
		"[$(jq -s '[.[] | select(.z != null)] | length' "$BIN"),$(jq -s '[.[] | select(.z != null)] | length' "$BIN")]"
	run jq -se --argjson m "$(jq -s '[.[].x] | add / length' "$BIN")" \
		'.[] | select(.column == "x") | (.number.mean - $m | fabs) < 1e-12' profile.ndjson
	assert_success
	assert_equal "$(jq -c 'select(.column == "flag") | .boolean | [.true, .false]' profile.ndjson)" \
		"[$(grep -c '"flag": true' "$BIN"),$(grep -c '"flag": false' "$BIN")]"
}

@test "records in many blocks and several inputs give the model, encoding and metrics of their concatenation, and ml-stats' profile of them" {
	local i
	# 40000 records, 3 MB: many of the blocks the reading hands its
	# threads, with blank lines among them and CRLF line ends in part
	for i in $(seq 100); do
		cat "$BIN"
		if [ $((i % 7)) = 0 ]; then echo; fi
	done >big.ndjson
	head -n 20000 big.ndjson >a.ndjson
	tail -n +20001 big.ndjson | sed 's/$/\r/' >b.ndjson
	ml-train -t y -a gbdt -p rounds=5 -o one.bundle big.ndjson
	ml-train -t y -a gbdt -p rounds=5 -o two.bundle a.ndjson b.ndjson
	for i in model.json preprocess.json metrics.json; do
		assert_bytes_equal <(member one.bundle "$i") <(member two.bundle "$i")
	done
	assert_equal "$(manifest two.bundle | jq -c '[.training.records, (.training.sources | length)]')" '[40000,2]'
	ml-stats a.ndjson b.ndjson >want.ndjson
	assert_bytes_equal want.ndjson <(member two.bundle profile.ndjson)
}

@test "records enough for two threads (40000) give the encoding, training metrics and importance the references find, the matrix being each record's encoding" {
	local i cancer=$BATS_FILE_TMPDIR/cancer/0/train.ndjson wine=$BATS_FILE_TMPDIR/wine/0/train.ndjson
	# strings, booleans and missing values; k, missing in a third of the
	# records, is another number in each copy, so the two halves of the
	# rows, filled at once, differ
	for i in $(seq 100); do
		awk -v i="$i" '{ if (NR % 3) sub(/}$/, ",\"k\":" i "}"); print }' "$cancer"
	done >many.ndjson
	for i in $(seq 300); do cat "$wine"; done >wines.ndjson
	ml-train -t y -a gbdt -p rounds=10 -o g.bundle many.ndjson
	ml-train -t y -a logistic -o l.bundle many.ndjson
	ml-train -t y -a gbdt -p rounds=5 --task multiclass -o w.bundle wines.ndjson
	for i in g l; do ml-predict $i.bundle many.ndjson >$i.ndjson; done
	ml-predict w.bundle wines.ndjson >w.ndjson
	assert_reference preprocess-check g.bundle many.ndjson + l.bundle many.ndjson + w.bundle wines.ndjson
	# metrics.json scores the matrix (XGBoost's cache of it, the dense
	# rows), ml-predict each record: they agree when the matrix's rows
	# are the records' encodings
	assert_reference metrics-check g.bundle many.ndjson g.ndjson + l.bundle many.ndjson l.ndjson + \
		w.bundle wines.ndjson w.ndjson
	assert_reference importance-check g.bundle many.ndjson + l.bundle many.ndjson + w.bundle wines.ndjson
}

@test "metrics.json's training metrics equal scikit-learn's on ml-predict's predictions of the training data, to 1e-9" {
	local data opts args=() i=0
	while read -r data opts; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		ml-train -t y $opts -o m$i.bundle "$data"
		ml-predict m$i.bundle "$data" >p$i.ndjson
		args+=("m$i.bundle" "$data" "p$i.ndjson" +)
	done <<EOF
$BIN -a logistic
$BIN -a gbdt -p rounds=20
$MULTI -a logistic
$MULTI -a gbdt -p rounds=20
$REGR -a linear
$REGR -a gbdt -p rounds=20
EOF
	# a target of wine's numbers, with string features and missing values
	local wine=$BATS_FILE_TMPDIR/wine/0/train.ndjson
	ml-train -t y -a logistic --task multiclass -o w.bundle "$wine"
	ml-predict w.bundle "$wine" >w.ndjson
	# and weights
	awk '{ sub(/}$/, ",\"w\":" (NR % 3) * 0.5 + 0.5 "}"); print }' "$BIN" >weighted.ndjson
	ml-train -t y -a gbdt -p rounds=10 --weight w -o wt.bundle weighted.ndjson
	ml-predict wt.bundle weighted.ndjson >wt.ndjson
	assert_reference metrics-check "${args[@]}" w.bundle "$wine" w.ndjson + wt.bundle weighted.ndjson wt.ndjson
}

@test "metrics.json's importance is each feature's mean |contribution| over a sample spread evenly over the training rows, in the features' order" {
	local data opts args=() i=0
	# sorted by the target, the first rows would all be of one class
	jq -sc 'sort_by(.y)[]' "$BIN" >sorted.ndjson
	while read -r data opts; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		ml-train -t y $opts -o m$i.bundle "$data"
		args+=("m$i.bundle" "$data" +)
	done <<EOF
$BIN -a logistic
$MULTI -a gbdt -p rounds=10
$MULTI -a logistic
$REGR -a linear -p alpha=3
$REGR -a gbdt -p rounds=10
sorted.ndjson -a gbdt -p rounds=10
sorted.ndjson -a logistic
EOF
	assert_reference importance-check "${args[@]}"
}

@test "preprocess.json standardises numbers and booleans for linear models, keeps them raw for trees, and one-hots strings" {
	ml-train -t y -a logistic -o l.bundle "$BIN"
	assert_equal "$(member l.bundle preprocess.json | jq -c '[.standardize, .columns]')" '[true,10]'
	ml-train -t y -a gbdt -p rounds=3 -o g.bundle "$BIN"
	assert_reference preprocess-check l.bundle "$BIN" + g.bundle "$BIN"
	assert_equal "$(member g.bundle preprocess.json | jq -c '[.standardize, .columns]')" '[false,10]'
	# the most frequent first, ties by value
	assert_equal "$(member g.bundle preprocess.json | jq -c '.features[] | select(.name == "color") | .values')" \
		"$(jq -r .color "$BIN" | LC_ALL=C sort | uniq -c | LC_ALL=C sort -k1,1nr -k2,2 | awk '{ print $2 }' | jq -R . | jq -cs .)"
}

# --- the task, the features, the encoding ---------------------------------------------

@test "a string target's classes are sorted bytewise and probability is that of the second" {
	printf '%s\n' '{"x":1,"y":"b"}' '{"x":2,"y":"B"}' '{"x":3,"y":"b"}' '{"x":4,"y":"B"}' >in.ndjson
	ml-train -t y -a logistic -o m.bundle in.ndjson
	assert_equal "$(manifest m.bundle | jq -c '[.task, .classes]')" '["binary",["B","b"]]'
	# the probability ml-predict gives is that of "b", model.json's output
	printf '%s\n' '{"x":1}' '{"x":4}' >in2.ndjson
	ml-predict m.bundle in2.ndjson >out.ndjson
	assert_reference linear-check m.bundle in2.ndjson out.ndjson
	assert_equal "$(jq -r .prediction out.ndjson | tr '\n' ' ')" "b B "
	printf '%s\n' '{"x":1,"y":"é"}' '{"x":2,"y":"z"}' '{"x":3,"y":"Z"}' '{"x":4,"y":"a"}' >utf.ndjson
	ml-train -t y -a gbdt -p rounds=2 -o u.bundle utf.ndjson
	assert_equal "$(manifest u.bundle | jq -c '[.task, .classes]')" '["multiclass",["Z","a","z","é"]]'
}

@test "a numeric target with two values is binary (classes sorted numerically), with more values regression; --task multiclass makes classes of numbers" {
	for i in $(seq 40); do echo "{\"x\":$((i % 7)),\"y\":$((i % 3 ? 10 : -2))}"; done >two.ndjson
	ml-train -t y -a logistic -o m.bundle two.ndjson
	assert_equal "$(manifest m.bundle | jq -c '[.task, .classes]')" '["binary",[-2,10]]'
	for i in $(seq 40); do echo "{\"x\":$((i % 7)),\"y\":$((i % 3))}"; done >three.ndjson
	ml-train -t y -a gbdt -p rounds=2 -o r.bundle three.ndjson
	assert_equal "$(manifest r.bundle | jq -c '[.task, .classes]')" '["regression",null]'
	ml-train -t y -a gbdt -p rounds=2 --task multiclass -o c.bundle three.ndjson
	assert_equal "$(manifest c.bundle | jq -c '[.task, .classes]')" '["multiclass",[0,1,2]]'
	# a class is written as the shortest decimal: 1.0 as 1
	printf '%s\n' '{"x":1,"y":1.0}' '{"x":2,"y":0.0}' '{"x":3,"y":1e0}' '{"x":4,"y":0.5}' >dec.ndjson
	ml-train -t y -a logistic --task multiclass -o d.bundle dec.ndjson
	assert_equal "$(manifest d.bundle | jq -c '.classes')" '[0,0.5,1]'
	ml-train -t y -a linear --task regression -o l.bundle two.ndjson
	assert_equal "$(manifest l.bundle | jq -c '[.task, .classes]')" '["regression",null]'
	# booleans: false before true
	for i in $(seq 40); do echo "{\"x\":$((i % 7)),\"y\":$([ $((i % 3)) = 0 ] && echo true || echo false)}"; done >bool.ndjson
	ml-train -t y -a logistic -o b.bundle bool.ndjson
	assert_equal "$(manifest b.bundle | jq -c '[.task, .classes]')" '["binary",[false,true]]'
}

@test "features are every other field in first-seen order; --features keeps the given order; --exclude, the weight and always-null fields are left out" {
	printf '%s\n' '{"b":1,"y":"p","a":"u","n":null}' '{"a":"v","b":2,"y":"q","n":null,"late":true}' \
		'{"late":false,"a":"u","b":3,"y":"p","w":2}' '{"b":4,"a":"v","y":"q","w":1}' >in.ndjson
	ml-train -t y -a logistic -o m.bundle in.ndjson
	assert_equal "$(manifest m.bundle | jq -c '[.features[] | [.name, .kind]]')" \
		'[["b","number"],["a","category"],["late","boolean"],["w","number"]]'
	ml-train -t y -a gbdt -p rounds=2 --features late,b -o f.bundle in.ndjson
	assert_equal "$(manifest f.bundle | jq -c '[.features[].name]')" '["late","b"]'
	assert_equal "$(member f.bundle preprocess.json | jq -c '[.features[].name]')" '["late","b"]'
	ml-train -t y -a gbdt -p rounds=2 --exclude a,late --weight w -o e.bundle in.ndjson
	assert_equal "$(manifest e.bundle | jq -c '[[.features[].name], .weight]')" '[["b"],"w"]'
	# with --features, --exclude takes fields out of its list
	ml-train -t y -a gbdt -p rounds=2 --features a,b,late --exclude b -o fe.bundle in.ndjson
	assert_equal "$(manifest fe.bundle | jq -c '[.features[].name]')" '["a","late"]'
}

@test "for trees, numbers and booleans are spread among the categories by the values present, each kind in first-seen order; --features and linear models keep their order" {
	# four numbers, then two categories, each field in every record
	for i in $(seq 40); do
		echo "{\"n1\":$i,\"n2\":$((i % 7)),\"n3\":$((i * 3)),\"b\":$([ $((i % 2)) = 0 ] && echo true || echo false),\"c1\":\"v$((i % 3))\",\"c2\":\"w$((i % 4))\",\"y\":$((i % 2))}"
	done >kinds.ndjson
	ml-train -t y -a gbdt -p rounds=2 -o g.bundle kinds.ndjson
	assert_equal "$(manifest g.bundle | jq -c '[.features[].name]')" '["n1","c1","n2","n3","c2","b"]'
	ml-train -t y -a logistic -o l.bundle kinds.ndjson
	assert_equal "$(manifest l.bundle | jq -c '[.features[].name]')" '["n1","n2","n3","b","c1","c2"]'
	ml-train -t y -a gbdt -p rounds=2 --features n1,n2,c1 -o f.bundle kinds.ndjson
	assert_equal "$(manifest f.bundle | jq -c '[.features[].name]')" '["n1","n2","c1"]'
	# a category mostly missing counts for less: the next category follows it
	for i in $(seq 40); do
		echo "{\"n1\":$i,\"n2\":$((i % 7)),\"c1\":$([ $i -le 4 ] && echo "\"v$i\"" || echo null),\"c2\":\"w$((i % 4))\",\"y\":$((i % 2))}"
	done >sparse.ndjson
	ml-train -t y -a gbdt -p rounds=2 -o s.bundle sparse.ndjson
	assert_equal "$(manifest s.bundle | jq -c '[.features[].name]')" '["n1","c1","c2","n2"]'
}

@test "--max-categories N keeps the N most frequent strings (ties by value) and an (other) column" {
	{
		for v in a a a b b c c d e e; do echo "{\"s\":\"$v\",\"x\":1,\"y\":$((RANDOM % 2))}"; done
		echo '{"s":"a","x":2,"y":0}'
		echo '{"s":"a","x":2,"y":1}'
	} >in.ndjson
	ml-train -t y -a logistic --max-categories 3 -o m.bundle in.ndjson
	assert_equal "$(member m.bundle preprocess.json | jq -c '.features[0] | [.name, .values]')" '["s",["a","b","c"]]'
	assert_equal "$(manifest m.bundle | jq -c '[.features[0].columns, .max_categories]')" '[4,3]'
	ml-train -t y -a logistic -o all.bundle in.ndjson
	assert_equal "$(member all.bundle preprocess.json | jq -c '.features[0].values')" '["a","b","c","e","d"]'
	refused 'max-categories' -t y --max-categories x in.ndjson
}

@test "--weight changes a tree model and is named in the manifest; a negative or non-number weight is refused" {
	awk '{ sub(/}$/, ",\"w\":" (NR % 5 == 0 ? 6 : 1) "}"); print }' "$BIN" >w.ndjson
	ml-train -t y -a gbdt -p rounds=5 -o plain.bundle w.ndjson
	ml-train -t y -a gbdt -p rounds=5 --weight w -o weighted.bundle w.ndjson
	run cmp -s <(member plain.bundle model.json) <(member weighted.bundle model.json)
	assert_failure
	assert_equal "$(manifest weighted.bundle | jq -c '[.weight, [.features[].name]]')" '["w",["x","color","z","flag"]]'
	assert_equal "$(manifest plain.bundle | jq -c '[.weight, [.features[].name]]')" '[null,["x","color","z","flag","w"]]'
	printf '%s\n' '{"x":1,"w":1,"y":1}' '{"x":2,"w":-1,"y":0}' >neg.ndjson
	refused "neg.ndjson:2: .*weight 'w' is negative" -t y --weight w neg.ndjson
	printf '%s\n' '{"x":1,"w":"1","y":1}' '{"x":2,"w":1,"y":0}' >str.ndjson
	refused "str.ndjson:1: .*weight 'w' is not a number" -t y --weight w str.ndjson
	refused "target" -t y --weight y w.ndjson
}

@test "a record without its weight, or with a null one, weighs 1" {
	awk '{ sub(/}$/, ",\"w\":1}"); print }' "$REGR" >ones.ndjson
	awk '{ if (NR % 2) sub(/}$/, ",\"w\":null}"); print }' "$REGR" >holes.ndjson
	ml-train -t y -a linear -p alpha=1 --weight w -o ones.bundle ones.ndjson
	ml-train -t y -a linear -p alpha=1 --weight w -o holes.bundle holes.ndjson
	assert_bytes_equal <(member ones.bundle model.json) <(member holes.bundle model.json)
	assert_bytes_equal <(member ones.bundle metrics.json) <(member holes.bundle metrics.json)
}

@test "--valid and --early-stop keep the rounds up to the best validation loss" {
	local data=$BATS_FILE_TMPDIR/cancer/0
	ml-train -t y -p rounds=150 -p eta=0.3 -o full.bundle "$data/train.ndjson"
	ml-train -t y -p rounds=150 -p eta=0.3 --valid "$data/test.ndjson" --early-stop 5 -o stopped.bundle "$data/train.ndjson"
	assert_reference early-stop-check full.bundle stopped.bundle "$data/test.ndjson" 5
	assert [ "$(manifest stopped.bundle | jq .rounds)" -lt 150 ]
	# multiclass, with its own loss
	head -300 "$MULTI" >train.ndjson
	tail -100 "$MULTI" >valid.ndjson
	ml-train -t y -p rounds=80 -p eta=0.5 -o full.bundle train.ndjson
	ml-train -t y -p rounds=80 -p eta=0.5 --valid valid.ndjson --early-stop 3 -o stopped.bundle train.ndjson
	assert_reference early-stop-check full.bundle stopped.bundle valid.ndjson 3
	# without the other, or with another algorithm: refused
	refused 'together' -t y --valid valid.ndjson train.ndjson
	refused 'together' -t y --early-stop 3 train.ndjson
	refused 'gbdt' -t y -a logistic --valid valid.ndjson --early-stop 3 train.ndjson
}

# --- cross-validation and the grid -----------------------------------------------------

@test "--cv K reports the folds, the task's main metric and its mean and sample std over the folds, the same on a second run" {
	local data algo metric
	for data in "$BIN:roc_auc" "$MULTI:accuracy" "$REGR:r2"; do
		metric=${data##*:}
		data=${data%:*}
		ml-train -t y -a gbdt -p rounds=5 --cv 4 --report r1.ndjson -o a.bundle "$data"
		ml-train -t y -a gbdt -p rounds=5 --cv 4 --report r2.ndjson -o b.bundle "$data"
		assert_bytes_equal a.bundle b.bundle
		assert_bytes_equal r1.ndjson r2.ndjson
		member a.bundle metrics.json >m.json
		assert_equal "$(jq -c '.cv | [.folds, .metric]' m.json)" "[4,\"$metric\"]"
		assert_equal "$(jq '.search | length' m.json)" 1
		assert_equal "$(jq -c '.search[0] | [.params, .metric, (.folds | length)]' m.json)" "[{\"rounds\":\"5\"},\"$metric\",4]"
		assert_reference cv-check a.bundle r1.ndjson
		# the folds hold every record once, in sizes one apart at most
		assert_equal "$(jq '[.search[0].folds[].records] | add' m.json)" 400
		assert_equal "$(jq -c '[.search[0].folds[].records] | max - min <= 1' m.json)" true
	done
}

@test "--cv folds are stratified: 10 positives in 100 records and --cv 10 give each fold one positive" {
	for i in $(seq 0 99); do echo "{\"x\":$(((i * 37) % 50)),\"y\":$([ $((i % 10)) = 3 ] && echo 1 || echo 0)}"; done >in.ndjson
	local seed
	for seed in 0 1 2; do
		ml-train -t y -a logistic --cv 10 --seed $seed -o m.bundle in.ndjson
		# one positive and nine negatives make every ROC AUC a ninth
		run jq -e '[.search[0].folds[] | .records == 10 and ((.roc_auc * 9) - (.roc_auc * 9 | round) | fabs) < 1e-9] | all' \
			<(member m.bundle metrics.json)
		assert_success
	done
}

@test "a fold without the positive class has a null ROC AUC, and then so have the mean and std" {
	# 2 positives in 30 records, 3 folds: one fold has none
	for i in $(seq 0 29); do echo "{\"x\":$(((i * 37) % 50)),\"y\":$([ $((i % 15)) = 3 ] && echo 1 || echo 0)}"; done >in.ndjson
	ml-train -t y -a logistic --cv 3 -o m.bundle in.ndjson
	assert_equal "$(member m.bundle metrics.json | jq -c '[[.search[0].folds[].roc_auc | type], .cv.mean, .cv.std]')" \
		'[["null","number","number"],null,null]'
}

@test "when no fold has a metric, the std is null in cv, in the chosen setting's search entry and in --report alike" {
	printf '%s\n' '{"x":1,"y":0}' '{"x":2,"y":1}' '{"x":3,"y":0}' '{"x":4,"y":1}' >in.ndjson
	ml-train -t y -p rounds=1 --cv 4 --report r.ndjson -o m.bundle in.ndjson
	assert_equal "$(member m.bundle metrics.json | jq -c '[.cv.mean, .cv.std, .search[0].mean, .search[0].std]')" \
		'[null,null,null,null]'
	assert_equal "$(jq -c '[.mean, .std]' r.ndjson)" '[null,null]'
	# over a grid, the first setting is chosen and cv shows its mean and std
	ml-train -t y -a logistic --grid C=0.1,1 --cv 4 -o g.bundle in.ndjson
	assert_equal "$(member g.bundle metrics.json | jq -c '[.cv.mean, .cv.std, [.search[].std]]')" \
		'[null,null,[null,null]]'
	assert_equal "$(manifest g.bundle | jq -c .params)" '{"C":"0.1"}'
}

@test "--seed fixes the folds: another seed deals them otherwise" {
	ml-train -t y -a logistic --cv 5 --seed 1 -o a.bundle "$BIN"
	ml-train -t y -a logistic --cv 5 --seed 2 -o b.bundle "$BIN"
	run cmp -s <(member a.bundle metrics.json | jq -c .search) <(member b.bundle metrics.json | jq -c .search)
	assert_failure
	# and the model, trained on all the records, is the same
	assert_bytes_equal <(member a.bundle model.json) <(member b.bundle model.json)
}

@test "--grid tries each value by cross-validation, keeps the best mean, trains with it, and --report has one line per setting" {
	ml-train -t y -a logistic --grid C=0.001,0.1,10 --report report.ndjson -o m.bundle "$BIN"
	assert_equal "$(nlines report.ndjson)" 3
	assert_json_lines report.ndjson
	assert_equal "$(jq -c .params report.ndjson | tr '\n' ' ')" '{"C":"0.001"} {"C":"0.1"} {"C":"10"} '
	# --grid implies 5 folds
	assert_equal "$(jq '.folds | length' report.ndjson | sort -u)" 5
	assert_reference cv-check m.bundle report.ndjson
	# the model is the one trained on all records with the best C
	local best
	best=$(jq -rs 'max_by(.mean) | .params.C' report.ndjson)
	ml-train -t y -a logistic -p C="$best" -o direct.bundle "$BIN"
	assert_bytes_equal <(member direct.bundle model.json) <(member m.bundle model.json)
}

@test "--grid twice tries the product of the lists, the first varying slowest, with the other parameters" {
	ml-train -t y -a gbdt -p rounds=4 --grid max_depth=2,3 --grid eta=0.1,0.5 --cv 3 --report report.ndjson -o m.bundle "$MULTI"
	assert_equal "$(jq -c .params report.ndjson)" "$(printf '%s\n' \
		'{"rounds":"4","max_depth":"2","eta":"0.1"}' '{"rounds":"4","max_depth":"2","eta":"0.5"}' \
		'{"rounds":"4","max_depth":"3","eta":"0.1"}' '{"rounds":"4","max_depth":"3","eta":"0.5"}')"
	assert_equal "$(jq '.folds | length' report.ndjson | sort -u)" 3
	assert_reference cv-check m.bundle report.ndjson
	assert_equal "$(member m.bundle metrics.json | jq -c '.cv | [.folds, .metric]')" '[3,"accuracy"]'
}

@test "a bad --grid or --cv is refused before any data is read" {
	refused "grid" -t y -a logistic --grid C=1,x "$BIN"
	refused "grid" -t y -a logistic --grid nosuch=1,2 "$BIN"
	refused "grid" -t y -a gbdt --grid max_depth=2,,3 "$BIN"
	refused "grid" -t y -a gbdt --grid max_depth "$BIN"
	refused "cv" -t y --cv 1 "$BIN"
	refused "cv" -t y --cv 101 "$BIN"
	refused "cv" -t y --cv x "$BIN"
	# --report has nothing to report without them
	refused "--report .*give --cv K or --grid" -t y -a logistic --report r.ndjson "$BIN"
	assert [ ! -e r.ndjson ]
}

# --- output ---------------------------------------------------------------------------

@test "-v reports what was trained in one line on stderr" {
	run --separate-stderr ml-train -v -t y -a logistic --cv 3 -o m.bundle "$BIN"
	assert_success
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^ml-train: logistic binary on 400 records, 4 features \(10 columns\)'
	run --separate-stderr ml-train -t y -a logistic -o m.bundle "$BIN"
	assert_equal "$stderr" ""
}

@test "-o FILE is replaced only when all went well; a failure leaves the old file and no temporary file" {
	echo previous >m.bundle
	run --separate-stderr ml-train -t nosuch -o m.bundle "$BIN"
	assert_equal "$status" 2
	assert_equal "$(cat m.bundle)" previous
	assert_no_temp_files
	run --separate-stderr ml-train -t y -a linear -o m.bundle "$BIN"
	assert_equal "$status" 2
	assert_equal "$(cat m.bundle)" previous
	assert_no_temp_files
	ml-train -t y -a logistic -o m.bundle "$BIN"
	assert_equal "$(tar -tf m.bundle | head -1)" manifest.json
	assert_no_temp_files
}

@test "a bundle is never written to a terminal" {
	command -v script >/dev/null || skip "no script(1) to give the program a terminal"
	run script -qec "ml-train -t y -a logistic $BIN; echo status=\$?" /dev/null
	assert_output --partial "ml-train: a bundle is binary"
	assert_output --partial "status=2"
	refute_output --partial "manifest.json"
}

# --- bad input --------------------------------------------------------------------------

@test "no --target, or a target no record has, is refused" {
	refused "no target: give --target" "$BIN"
	refused "binary.ndjson:1: no value for the target 'nosuch'" -t nosuch "$BIN"
}

@test "a record without the target, or with a null one, is refused with its file and line" {
	{ head -5 "$BIN"; echo '{"x":1,"z":2,"color":"red","flag":true}'; } >absent.ndjson
	refused "absent.ndjson:6: no value for the target 'y'" -t y absent.ndjson
	{ head -3 "$BIN"; echo '{"x":1,"y":null}'; } >null.ndjson
	refused "null.ndjson:4: no value for the target 'y'" -t y null.ndjson
	# from standard input
	run --separate-stderr ml-train -t y <null.ndjson
	assert_fails_with "<stdin>:4: no value for the target 'y'"
}

@test "a target with one class or one value is refused: nothing to learn" {
	for i in 1 2 3; do echo "{\"x\":$i,\"y\":\"same\"}"; done >one.ndjson
	refused "one class .*nothing to learn" -t y one.ndjson
	for i in 1 2 3; do echo "{\"x\":$i,\"y\":4.5}"; done >const.ndjson
	refused "constant.*nothing to learn" -t y const.ndjson
	refused "nothing to learn" -t y -a linear const.ndjson
}

@test "--task binary with three classes, --task regression with strings, an unknown --task are refused" {
	refused "--task binary: the target 'y' has 3 classes" -t y --task binary "$MULTI"
	refused "--task regression: the target 'y' is a string" -t y --task regression "$BIN"
	refused "--task" -t y --task ranking "$BIN"
	seq 0 1000 | awk '{ print "{\"x\":" $1 ",\"y\":" $1 "}" }' >many.ndjson
	refused "more than 1000 distinct.*at most 1000 classes" -t y --task multiclass -a gbdt many.ndjson
}

@test "an unknown --algo and an unknown --param of each algorithm are refused, naming them" {
	refused "--algo: 'forest'" -t y -a forest "$BIN"
	refused "--param gamma: logistic takes C" -t y -a logistic -p gamma=1 "$BIN"
	refused "--param C: linear takes alpha" -t y -a linear -p C=1 "$REGR"
	refused "--param C: not a parameter of gbdt" -t y -a gbdt -p C=1 "$BIN"
	refused "--param 'rounds': give KEY=VALUE" -t y -p rounds "$BIN"
	refused "--param '=3': give KEY=VALUE" -t y -p =3 "$BIN"
}

@test "bad parameter values are refused, naming them" {
	refused "C=0" -t y -a logistic -p C=0 "$BIN"
	refused "C=much: not a number" -t y -a logistic -p C=much "$BIN"
	refused "penalty=l3" -t y -a logistic -p penalty=l3 "$BIN"
	refused "eps=-1" -t y -a logistic -p eps=-1 "$BIN"
	refused "alpha=-1" -t y -a linear -p alpha=-1 "$REGR"
	refused "max_depth=2.5: not an integer" -t y -a gbdt -p max_depth=2.5 "$BIN"
	refused "eta=2" -t y -a gbdt -p eta=2 "$BIN"
	refused "subsample=0" -t y -a gbdt -p subsample=0 "$BIN"
	refused "rounds=0" -t y -a gbdt -p rounds=0 "$BIN"
	refused "rounds=nan" -t y -a gbdt -p rounds=nan "$BIN"
	refused "grow_policy=sideways" -t y -a gbdt -p grow_policy=sideways "$BIN"
}

@test "a bad --seed, --threads or --max-categories is refused" {
	refused "--seed" -t y --seed -1 "$BIN"
	refused "--seed" -t y --seed x "$BIN"
	refused "--threads: at most 1024" -t y --threads 1025 "$BIN"
	refused "--max-categories: at most 10000" -t y --max-categories 10001 "$BIN"
}

@test "empty input is refused: no training records" {
	: >empty.ndjson
	refused "no training records" -t y empty.ndjson
	printf '\n\n' >blank.ndjson
	refused "no training records" -t y blank.ndjson
}

@test "a field of two types, or of arrays or objects, is refused, naming it, its file and line" {
	{ head -4 "$BIN"; echo '{"x":"1.5","y":"no"}'; } >mixed.ndjson
	refused "mixed.ndjson:5: field 'x' is a string here, a number in earlier records" -t y mixed.ndjson
	{ head -4 "$BIN"; echo '{"flag":1,"y":"no"}'; } >mixed2.ndjson
	refused "mixed2.ndjson:5: field 'flag'" -t y mixed2.ndjson
	{ head -2 "$BIN"; echo '{"x":1,"tags":["a"],"y":"no"}'; } >arr.ndjson
	refused "arr.ndjson:3: field 'tags'" -t y arr.ndjson
	{ head -2 "$BIN"; echo '{"x":1,"o":{"a":1},"y":"no"}'; } >obj.ndjson
	refused "obj.ndjson:3: field 'o'" -t y obj.ndjson
	# excluded, it is no trouble
	ml-train -t y --exclude tags -a logistic -o ok.bundle arr.ndjson
	# a number too large for a double
	{ head -2 "$BIN"; echo '{"x":1e400,"y":"no"}'; } >big.ndjson
	refused "big.ndjson:3: field 'x'.* does not fit a double" -t y big.ndjson
	# finite as a double, infinite as the model's 32-bit float
	{ head -2 "$BIN"; echo '{"x":1e39,"y":"no"}'; } >big39.ndjson
	refused "big39.ndjson:3: field 'x': 1e\\+39 does not fit the model's 32-bit floats" -t y -a gbdt big39.ndjson
	# the target itself of two types
	printf '%s\n' '{"x":1,"y":1}' '{"x":2,"y":"one"}' >target.ndjson
	refused "target.ndjson:2: field 'y'" -t y target.ndjson
}

@test "for gbdt a regression target, a weight or a --valid value beyond a 32-bit float is refused with its file and line; a class of any size is not" {
	printf '%s\n' '{"x":1,"y":1}' '{"x":2,"y":1e39}' '{"x":3,"y":5}' >big.ndjson
	refused "^ml-train: big.ndjson:2: field 'y': 1e\\+39 does not fit the model's 32-bit floats$" -t y big.ndjson
	# linear takes doubles
	ml-train -t y -a linear -o linear.bundle big.ndjson
	# two values make classes, which XGBoost gets as 0 and 1
	printf '%s\n' '{"x":1,"y":1e39}' '{"x":2,"y":1}' '{"x":3,"y":1}' '{"x":4,"y":1e39}' >cls.ndjson
	ml-train -t y -p rounds=2 -o cls.bundle cls.ndjson
	assert_equal "$(manifest cls.bundle | jq -c .classes)" '[1,1e+39]'
	printf '%s\n' '{"x":1,"y":1,"w":1}' '{"x":2,"y":2}' '{"x":3,"y":5,"w":1e39}' >w.ndjson
	refused "^ml-train: w.ndjson:3: field 'w': 1e\\+39 does not fit the model's 32-bit floats$" -t y --weight w w.ndjson
	printf '%s\n' '{"x":1,"y":1}' '{"x":2,"y":2}' '{"x":3,"y":5}' >ok.ndjson
	refused "^ml-train: big.ndjson:2: field 'y': 1e\\+39 does not fit" -t y -p rounds=3 --valid big.ndjson --early-stop 1 ok.ndjson
	printf '%s\n' '{"x":1,"y":1}' '{"x":1e39,"y":2}' >bigx.ndjson
	refused "^ml-train: bigx.ndjson:2: field 'x': 1e39 does not fit the model's 32-bit floats$" -t y -p rounds=3 --valid bigx.ndjson --early-stop 1 ok.ndjson
}

@test "a key given twice in a record counts by its last value only, as jq reads it: the earlier ones are not checked, and the profile is still ml-stats'" {
	printf '%s\n' '{"x":1,"s":"u","y":0}' '{"x":"a","x":3,"y":1,"s":"v"}' \
		'{"x":5,"x":null,"y":"no","y":0,"s":["z"],"s":"u"}' '{"x":2,"y":1,"s":"v"}' \
		'{"x":{"o":1},"x":4,"y":0,"s":"u"}' '{"x":6,"y":1,"s":"v"}' >dup.ndjson
	ml-train -t y -a logistic -o m.bundle dup.ndjson
	# the mean of x as jq sees it: 1, 3, null, 2, 4, 6
	assert_equal "$(jq -s -c '[.[].x | numbers] | add / length' dup.ndjson)" 3.2
	assert_equal "$(member m.bundle preprocess.json | jq -c '[.features[] | [.name, .mean, .values]]')" \
		'[["x",3.2,null],["s",null,["u","v"]]]'
	assert_equal "$(manifest m.bundle | jq -c '[.classes, .training.records]')" '[[0,1],6]'
	ml-stats dup.ndjson >want.ndjson
	assert_bytes_equal want.ndjson <(member m.bundle profile.ndjson)
	# the same records without the earlier keys give the same model
	jq -c . dup.ndjson >last.ndjson
	ml-train -t y -a logistic -o last.bundle last.ndjson
	assert_bytes_equal <(member m.bundle model.json) <(member last.bundle model.json)
}

@test "a malformed line is refused with its file and line" {
	{ head -3 "$BIN"; echo '{"x": 1,'; } >bad.ndjson
	refused "bad.ndjson:4: " -t y bad.ndjson
}

@test "a bad record far into an input is named with its file and line, in a second input too" {
	local i
	for i in $(seq 50); do cat "$BIN"; done >big.ndjson
	{ cat big.ndjson; echo; echo '{"x": 1,'; } >bad.ndjson
	refused "bad.ndjson:20002: malformed JSON" -t y bad.ndjson
	{ head -n 15000 big.ndjson; echo '{"x":"one","y":"no"}'; } >mixed.ndjson
	refused "mixed.ndjson:15001: field 'x' is a string here, a number in earlier records" -t y big.ndjson mixed.ndjson
	# the first bad record, and no other, is named
	{ head -n 15000 big.ndjson; echo '{"x":1}'; cat big.ndjson; echo '{'; } >two.ndjson
	refused "^ml-train: two.ndjson:15001: no value for the target 'y'$" -t y two.ndjson
}

@test "--weight with logistic, and linear with a classification target, are refused" {
	awk '{ sub(/}$/, ",\"w\":1}"); print }' "$BIN" >w.ndjson
	refused "--weight: .*logistic.* no sample weights" -t y -a logistic --weight w w.ndjson
	refused "--algo linear is for regression; for a binary task" -t y -a linear "$BIN"
	refused "--algo linear is for regression; for a multiclass task" -t y -a linear "$MULTI"
	refused "--algo logistic is for classification" -t y -a logistic "$REGR"
}

@test "--features or --exclude naming a field no record has is refused" {
	refused "--features: no record has 'nosuch'" -t y --features x,nosuch "$BIN"
	refused "--exclude: no record has 'nosuch'" -t y --exclude nosuch "$BIN"
	refused "no features" -t y --exclude x,z,color,flag "$BIN"
}

@test "a field given twice in --features is a usage error naming it, a field given twice in --exclude is excluded once" {
	refused "^ml-train: --features: 'x' is given twice" -t y -a logistic --features x,z,x "$BIN"
	assert_regex "$stderr" "Try 'ml-train --help'"
	refused "--features: 'z' is given twice" -t y --features x,z --features z "$BIN"
	ml-train -t y -a logistic --exclude z,flag,z -o e.bundle "$BIN"
	assert_equal "$(manifest e.bundle | jq -c '[.features[].name]')" '["x","color"]'
}
