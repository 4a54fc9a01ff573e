#!/bin/sh
# bench/validate.sh: the benchmarks of ml-validate (`make bench` runs it
# after bench/stats.sh).
#
# Uses bench/data/data.csv and data.ndjson (made here as bench/run.sh makes
# them, when missing), writes a schema of data.ndjson (a type and a range
# rule on every column, the allowed values of the three categorical ones)
# and the jq program that makes the same checks into bench/data/, checks
# that both keep the same records, times every command in this one run
# (hyperfine, else /usr/bin/time), prints one markdown table and writes it
# into docs/BENCHMARKS.md between
#   <!-- bench:validate:begin --> and <!-- bench:validate:end -->
# (appended at the end when the markers are missing) leaving the rest of
# that file alone.  A benchmark, never a test: it fails only when something
# cannot run (or the two programs disagree), not when a target is missed.
# What it shares with bench/run.sh and bench/stats.sh is in bench/lib.sh.
#
# Files it keeps in bench/data/:
#   validate-schema.json        the schema: every record of data.ndjson valid
#   validate-schema-e1.json     + one expectation on two fields
#   validate-schema-e2.json     + one expectation on the whole record
#   validate-schema-e12.json    + both (for the memory)
#   validate-schema-1pct.json   score's max lowered to 0.98: ~1% invalid
#   validate-schema-none.json   no field at all: reading and writing only
#   validate-select.jq          jq's select(...) of validate-schema.json
#   validate-select-1pct.jq     and of validate-schema-1pct.json
#   validate-reject.ndjson      the rejects of the ~1% run
#   validate-columns.txt        the ranges and values the schemas are made of
#   validate-NAME.json          hyperfine's JSON of each command timed
#
# Environment:
#   BENCH_ROWS=N          rows of the generated CSV (default 1000000)
#   BENCH_RUNS=N          timed runs of ml-validate (default 5)
#   BENCH_SLOW_RUNS=N     timed runs of jq (default 3; it takes seconds)
#   BENCH_NO_DOC=1        do not touch docs/BENCHMARKS.md
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh

SLOW_RUNS=${BENCH_SLOW_RUNS:-3}
JSON_PREFIX=validate		# hyperfine's JSON: $DATA/validate-NAME.json

# the columns of gen-data's CSV (checked against its header) and the type of
# each in ml-ingest's NDJSON; every one but id has empty fields (nulls)
HEADER=id,age,income,balance,score,delta,segment,device,city,active
COLS="id:integer age:integer income:number balance:number score:number delta:integer
	segment:string device:string city:string active:boolean"
# the expectations whose cost is measured: one that reads two fields (ml-validate
# gives libjq an object of just those) and one that needs the whole record
# (parsed by libjq); both hold on every record of data.ndjson
EXP1='.income == null or .income > .age'
EXP2='(keys|length) > 0'
# the ~1% invalid variant: score is uniform in [-0.9999, 0.9999]
PCT_FIELD=score PCT_MAX=0.98

# --- packages, programs, helpers ------------------------------------------
# Debian package : command it provides
need_pkgs hyperfine:hyperfine jq:jq time:/usr/bin/time gcc:cc
have cc || die "no C compiler"
have jq || die "jq is needed (to read hyperfine's JSON and as the baseline)"
wait_bins bin/ml-validate bin/ml-ingest
build_helpers gen-data

# --- data -----------------------------------------------------------------
# data.csv and data.ndjson: the same files as run.sh's (make_data, in lib.sh)
make_data
say "data: $NDJSON $nd_lines lines ($(bytes "$NDJSON") bytes)"
[ "$(head -n 1 "$CSV")" = "$HEADER" ] ||
	die "$CSV's header is not $HEADER: gen-data changed, update bench/validate.sh"

# the first half of data.ndjson (the same file as stats.sh's) and three times
# data.ndjson (the same file as run.sh's), to see that memory does not grow
HALF_A=$DATA/half-a.ndjson
NDJSON3=$DATA/data3.ndjson
half=$(((nd_lines + 1) / 2))
if [ ! -s "$HALF_A" ] || [ "$NDJSON" -nt "$HALF_A" ]; then
	say "\$ head -n $half $NDJSON > $HALF_A"
	head -n "$half" "$NDJSON" > "$HALF_A.tmp"
	mv "$HALF_A.tmp" "$HALF_A"
fi
if [ ! -s "$NDJSON3" ] || [ "$NDJSON" -nt "$NDJSON3" ]; then
	say "\$ cat $NDJSON $NDJSON $NDJSON > $NDJSON3"
	cat "$NDJSON" "$NDJSON" "$NDJSON" > "$NDJSON3.tmp"
	mv "$NDJSON3.tmp" "$NDJSON3"
fi
[ "$(lines "$HALF_A")" -eq "$half" ] || die "$HALF_A does not have $half lines"
[ "$(lines "$NDJSON3")" -eq $((3 * nd_lines)) ] || die "$NDJSON3 is not data.ndjson three times"
say "data: $HALF_A $half lines, $NDJSON3 $((3 * nd_lines)) lines"

# --- the schemas and the jq programs --------------------------------------
SCHEMA=$DATA/validate-schema.json
SCHEMA_E1=$DATA/validate-schema-e1.json
SCHEMA_E2=$DATA/validate-schema-e2.json
SCHEMA_E12=$DATA/validate-schema-e12.json
SCHEMA_PCT=$DATA/validate-schema-1pct.json
SCHEMA_NONE=$DATA/validate-schema-none.json
SELECT=$DATA/validate-select.jq
SELECT_PCT=$DATA/validate-select-1pct.jq
COLINFO=$DATA/validate-columns.txt	# NAME TYPE MIN MAX of each column, and domains
REJECT=$DATA/validate-reject.ndjson
ALL_SCHEMAS="$SCHEMA $SCHEMA_E1 $SCHEMA_E2 $SCHEMA_E12 $SCHEMA_PCT $SCHEMA_NONE $SELECT $SELECT_PCT"

# columns: the observed range of each numeric column of data.csv (whose
# first six columns are never quoted, so awk can split them at the commas;
# the range keeps the text of the value, so the schema has the data's
# numbers exactly), the distinct values of each string column of
# data.ndjson (as JSON strings, in byte order) and their shortest and
# longest length (ASCII: bytes = code points), into $COLINFO as lines
#   num NAME MIN MAX
#   str NAME MINLEN MAXLEN JSON-ARRAY
columns() {
	nums= strs=
	for nt in $COLS; do
		case ${nt#*:} in
		integer|number) nums="$nums ${nt%%:*}" ;;
		string) strs="$strs ${nt%%:*}" ;;
		esac
	done
	say "\$ awk (range of$nums) $CSV"
	awk -F, -v want="$nums" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; n = split(want, w, " "); next }
		{
			for (j = 1; j <= n; j++) {
				s = $(col[w[j]])
				if (s == "") continue
				v = s + 0
				if (!(j in lo) || v < lo[j]) { lo[j] = v; los[j] = s }
				if (!(j in hi) || v > hi[j]) { hi[j] = v; his[j] = s }
			}
		}
		END { for (j = 1; j <= n; j++) print "num", w[j], los[j], his[j] }' "$CSV" > "$COLINFO.tmp"
	for c in $strs; do
		say "\$ grep -o '\"$c\":\"[^\"]*\"' $NDJSON | sort -u"
		LC_ALL=C grep -o "\"$c\":\"[^\"]*\"" "$NDJSON" | LC_ALL=C sort -u |
			sed "s/^\"$c\"://" | awk -v c="$c" '
			{ l = length($0) - 2; if (NR == 1 || l < lo) lo = l; if (l > hi) hi = l
			  v = v (NR > 1 ? ", " : "") $0 }
			END { print "str", c, lo, hi, "[" v "]" }' >> "$COLINFO.tmp"
	done
	mv "$COLINFO.tmp" "$COLINFO"
}

# rules [NAME MAX]: the rules of every column, with column NAME's max
# lowered to MAX when given: sets FIELDS (the schema's "fields" members, one
# a line) and PRED (the jq test of the same rules, one column a line)
rules() {
	ovr_f=${1:-} ovr_max=${2:-}
	FIELDS= PRED=
	for nt in $COLS; do
		f=${nt%%:*} t=${nt#*:}
		case $t in
		integer|number)
			set -- $(awk -v f="$f" '$1 == "num" && $2 == f { print $3, $4 }' "$COLINFO")
			[ $# = 2 ] || die "no range of $f in $COLINFO"
			lo=$1 hi=$2
			[ "$f" = "$ovr_f" ] && hi=$ovr_max
			spec="\"type\": \"$t\", \"min\": $lo, \"max\": $hi"
			test="(.$f|type) == \"number\""
			[ "$t" = integer ] && test="$test and (.$f|floor) == .$f"
			test="$test and .$f >= $lo and .$f <= $hi"
			;;
		string)
			set -- $(awk -v f="$f" '$1 == "str" && $2 == f { print $3, $4 }' "$COLINFO")
			[ $# = 2 ] || die "no values of $f in $COLINFO"
			lo=$1 hi=$2
			dom=$(awk -v f="$f" '$1 == "str" && $2 == f { sub(/^[^ ]* [^ ]* [^ ]* [^ ]* /, ""); print }' "$COLINFO")
			# jq's IN(...) compares with each value in turn (300 for
			# city): an object lookup is jq's fast way to the same test
			obj=$(echo "$dom" | sed 's/^\[/{/; s/\]$/}/; s/",/": true,/g; s/"}$/": true}/')
			spec="\"type\": \"string\", \"min_length\": $lo, \"max_length\": $hi, \"domain\": $dom"
			test="(.$f|type) == \"string\" and (.$f|length) >= $lo and (.$f|length) <= $hi and (${obj}[.$f] // false)"
			;;
		boolean)
			spec="\"type\": \"boolean\""
			test="(.$f|type) == \"boolean\""
			;;
		esac
		# id is never empty; every other column is, now and then
		if [ "$f" != id ]; then
			spec="$spec, \"nullable\": true"
			test="(.$f == null or ($test))"
		fi
		FIELDS="$FIELDS${FIELDS:+,
}    \"$f\": {$spec}"
		PRED="$PRED${PRED:+
  and }has(\"$f\") and $test"
	done
}

# schema FILE DESCRIPTION [EXPECTATION...]: write the schema of FIELDS
schema() {
	out=$1 desc=$2
	shift 2
	{
		echo "{"
		echo "  \"format\": \"mlpipe.schema\","
		echo "  \"version\": 1,"
		echo "  \"description\": \"$desc\","
		echo "  \"fields\": {"
		[ -n "$FIELDS" ] && echo "$FIELDS"
		if [ $# = 0 ]; then
			echo "  }"
		else
			echo "  },"
			printf '  "expectations": ['
			sep=
			for e in "$@"; do
				printf '%s%s' "$sep" "$(printf '%s' "$e" | jq -R .)"
				sep=', '
			done
			echo "]"
		fi
		echo "}"
	} > "$out.tmp"
	jq -e .format "$out.tmp" > /dev/null || die "$out: not JSON"
	mv "$out.tmp" "$out"
}

stale=
for f in $ALL_SCHEMAS $COLINFO; do
	if [ ! -s "$f" ] || [ "$NDJSON" -nt "$f" ] || [ bench/validate.sh -nt "$f" ]; then
		stale=1
	fi
done
if [ -n "$stale" ]; then
	columns
	rules
	d="data.ndjson (bench/validate.sh): a type and a range on every column, the values of the categorical ones"
	schema "$SCHEMA" "$d"
	schema "$SCHEMA_E1" "$d; one expectation on two fields" "$EXP1"
	schema "$SCHEMA_E2" "$d; one expectation on the whole record" "$EXP2"
	schema "$SCHEMA_E12" "$d; both expectations" "$EXP1" "$EXP2"
	printf 'select(\n  %s\n)\n' "$PRED" > "$SELECT"
	rules "$PCT_FIELD" "$PCT_MAX"
	schema "$SCHEMA_PCT" "$d; $PCT_FIELD max lowered to $PCT_MAX: about 1% invalid"
	printf 'select(\n  %s\n)\n' "$PRED" > "$SELECT_PCT"
	FIELDS=
	schema "$SCHEMA_NONE" "no rule: reading and writing only"
	say "bench: wrote $SCHEMA, $SELECT and their variants"
fi

# --- the same records? ----------------------------------------------------
start_timing

# The programs run as people run them: with the run log on, so every input
# and output byte is hashed (SHA-256) as it passes.
RUNLOG="$DATA/runs.ndjson"
VAL="bin/ml-validate --run-log $RUNLOG"

# ids: the id of each record of an NDJSON file made by ml-ingest (its first
# key), one a line
ids() { cut -d , -f 1 "$1" | cut -d : -f 2; }

# jq, once, on both programs: the id of each record each one keeps
say ""
say "\$ jq -r '[.id, (SELECT), (SELECT_PCT)]' $NDJSON (both programs' tests)"
pred_all=$(sed '1d; $d' "$SELECT")
pred_pct=$(sed '1d; $d' "$SELECT_PCT")
jq -r "[.id, ($pred_all), ($pred_pct)] | @tsv" "$NDJSON" > "$TMP/jq-tests"
jq_all=$(awk '$2 == "true"' "$TMP/jq-tests" | wc -l | tr -d ' ')
[ "$jq_all" -eq "$nd_lines" ] ||
	die "jq's select of $SELECT keeps $jq_all of $nd_lines records, not all: the schema does not cover the data"
awk '$3 == "true" { print $1 }' "$TMP/jq-tests" > "$TMP/jq-pct-ids"
jq_pct=$(lines "$TMP/jq-pct-ids")

# ml-validate keeps every record, byte for byte, with each schema that
# covers the data, and with the ~1% one exactly the records jq keeps
for s in "$SCHEMA" "$SCHEMA_E1" "$SCHEMA_E2" "$SCHEMA_E12" "$SCHEMA_NONE"; do
	say "\$ $VAL -s $s < $NDJSON | cmp - $NDJSON"
	$VAL -s "$s" < "$NDJSON" > "$TMP/out" ||
		die "ml-validate -s $s exits $? on $NDJSON (every record is valid)"
	cmp -s "$TMP/out" "$NDJSON" || die "ml-validate -s $s does not give back $NDJSON"
done
say "\$ $VAL -s $SCHEMA_PCT --max-invalid 2% --reject $REJECT < $NDJSON"
$VAL -s "$SCHEMA_PCT" --max-invalid 2% --reject "$REJECT" < "$NDJSON" > "$TMP/out" ||
	die "ml-validate -s $SCHEMA_PCT --max-invalid 2% exits $?"
ids "$TMP/out" | cmp -s - "$TMP/jq-pct-ids" ||
	die "ml-validate -s $SCHEMA_PCT and jq -f $SELECT_PCT keep different records"
n_rej=$(lines "$REJECT")
[ $((n_rej + jq_pct)) -eq "$nd_lines" ] ||
	die "$REJECT has $n_rej lines, expected $((nd_lines - jq_pct))"
rej_ok=$(jq -c --arg f "$PCT_FIELD" \
	'select(.errors | length == 1 and .[0].rule == "max" and .[0].field == $f) | .line' \
	"$REJECT" | wc -l | tr -d ' ')
[ "$rej_ok" -eq "$n_rej" ] || die "$REJECT: $((n_rej - rej_ok)) rejects not for $PCT_FIELD.max alone"
pct_share=$(awk -v a="$n_rej" -v n="$nd_lines" 'BEGIN { printf "%.2f%%", 100 * a / n }')
say "bench: both keep the same records: all $nd_lines with $SCHEMA; $jq_pct with $SCHEMA_PCT ($n_rej, $pct_share, invalid)"

# --- measuring ------------------------------------------------------------
LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
# ml-validate's runs one after another, so that the differences (the cost of
# the rules and of an expectation) are measured under the same load
t_val=$(time_cmd rules "$RUNS" 1 0 "$VAL -s $SCHEMA < $NDJSON > /dev/null")
t_none=$(time_cmd no-rules "$RUNS" 1 0 "$VAL -s $SCHEMA_NONE < $NDJSON > /dev/null")
t_e1=$(time_cmd expectation-fields "$RUNS" 1 0 "$VAL -s $SCHEMA_E1 < $NDJSON > /dev/null")
t_e2=$(time_cmd expectation-record "$RUNS" 1 0 "$VAL -s $SCHEMA_E2 < $NDJSON > /dev/null")
t_pct=$(time_cmd invalid-1pct "$RUNS" 1 0 \
	"$VAL -s $SCHEMA_PCT --max-invalid 2% --reject $REJECT < $NDJSON > /dev/null")
# jq takes seconds: fewer runs, no warm-up (it has just read the file)
t_jq=$(time_cmd jq-select "$SLOW_RUNS" 0 0 "jq -c -f $SELECT $NDJSON > /dev/null")

r_half=; r_full=; r_three=; re_half=; re_three=
if [ -x /usr/bin/time ]; then
	r_half=$(rss_cmd "$VAL -s $SCHEMA < $HALF_A > /dev/null")
	r_full=$(rss_cmd "$VAL -s $SCHEMA < $NDJSON > /dev/null")
	r_three=$(rss_cmd "$VAL -s $SCHEMA < $NDJSON3 > /dev/null")
	re_half=$(rss_cmd "$VAL -s $SCHEMA_E12 < $HALF_A > /dev/null")
	re_three=$(rss_cmd "$VAL -s $SCHEMA_E12 < $NDJSON3 > /dev/null")
fi

# --- the table ------------------------------------------------------------
TABLE=$TMP/table
cpu() { echo "$1" | cut -d ' ' -f 4; }
# per_m T: seconds per million records of the wall time T - t_val (medians)
per_m() {
	awk -v a="$(med "$1")" -v b="$(med "$t_val")" -v n="$nd_lines" \
		'BEGIN { printf "%+.3f s per 1M records (%+.0f%%)", (a - b) * 1e6 / n, 100 * (a - b) / b }'
}
kb() { echo "$1" | cut -d ' ' -f 1; }
# md TEXT: TEXT for a table cell (a | would end the cell)
md() { printf '%s' "$1" | sed 's/|/\\|/g'; }

{
	table_head "validate $nd_lines records: type and range of 10 columns, allowed values of 3" \
		"ml-validate -s" "$t_val"
	vs_row "the same checks" "jq -c 'select(…)'" "$t_jq" "$t_val" \
		"jq / ml-validate" "ml-validate ≥ 10x faster" ">= 10"
	r=$(ratio "$(med "$t_none")" "$(med "$t_val")")
	echo "| read and write only (a schema with no field) | ml-validate -s | $(secs "$t_none") | no rules / rules = ${r}x | (for comparison) | |"
	echo "| + one expectation on two fields: \`$(md "$EXP1")\` | ml-validate -s | $(secs "$t_e1") | $(per_m "$t_e1") | (reported) | |"
	echo "| + one expectation on the whole record: \`$(md "$EXP2")\` | ml-validate -s | $(secs "$t_e2") | $(per_m "$t_e2") | (reported) | |"
	r=$(ratio "$(med "$t_pct")" "$(med "$t_val")")
	echo "| $pct_share invalid ($PCT_FIELD max $PCT_MAX), --reject FILE | ml-validate -s | $(secs "$t_pct") | / all valid = ${r}x | (for comparison) | |"
	if [ -n "$r_half" ]; then
		k0=$(kb "$r_half")
		echo "| peak memory, $half records | ml-validate -s | $(mib "$k0") | | | |"
		r=$(ratio "$(kb "$r_full")" "$k0")
		echo "| peak memory, $nd_lines records | ml-validate -s | $(mib "$(kb "$r_full")") | / $half records = ${r}x | no growth (≤ 1.1x) | $(verdict "$r <= 1.1") |"
		r=$(ratio "$(kb "$r_three")" "$k0")
		echo "| peak memory, $((3 * nd_lines)) records | ml-validate -s | $(mib "$(kb "$r_three")") | / $half records = ${r}x | no growth (≤ 1.1x) | $(verdict "$r <= 1.1") |"
		k0=$(kb "$re_half")
		echo "| peak memory, both expectations, $half records | ml-validate -s | $(mib "$k0") | | | |"
		r=$(ratio "$(kb "$re_three")" "$k0")
		echo "| peak memory, both expectations, $((3 * nd_lines)) records | ml-validate -s | $(mib "$(kb "$re_three")") | / $half records = ${r}x | no growth (≤ 1.1x) | $(verdict "$r <= 1.1") |"
	else
		echo "| peak memory | ml-validate | /usr/bin/time absent | | no growth | not measured |"
	fi
} > "$TABLE"

# CPU time: ml-validate hashes for the run log on a second thread
NOTE=$TMP/note
{
	printf 'CPU time (user + system, mean of the runs): '
	printf 'ml-validate %.3f s, with no field %.3f s, ' "$(cpu "$t_val")" "$(cpu "$t_none")"
	printf 'with the two-field expectation %.3f s, with the whole-record one %.3f s, ' \
		"$(cpu "$t_e1")" "$(cpu "$t_e2")"
	printf '%s invalid %.3f s, jq %.3f s (jq / ml-validate = %sx).' "$pct_share" \
		"$(cpu "$t_pct")" "$(cpu "$t_jq")" "$(ratio "$(cpu "$t_jq")" "$(cpu "$t_val")")"
	printf ' One expectation costs, in CPU time per million records: %+.3f s on two fields, %+.3f s on the whole record.' \
		"$(awk -v a="$(cpu "$t_e1")" -v b="$(cpu "$t_val")" -v n="$nd_lines" 'BEGIN { print (a - b) * 1e6 / n }')" \
		"$(awk -v a="$(cpu "$t_e2")" -v b="$(cpu "$t_val")" -v n="$nd_lines" 'BEGIN { print (a - b) * 1e6 / n }')"
	if [ -n "$r_half" ]; then
		printf ' Peak-memory runs (wall, CPU): %s records %.2f s, %.2f s; %s records %.2f s, %.2f s; both expectations, %s records %.2f s, %.2f s.' \
			"$half" "$(echo "$r_half" | cut -d ' ' -f 2)" "$(echo "$r_half" | cut -d ' ' -f 3)" \
			"$((3 * nd_lines))" "$(echo "$r_three" | cut -d ' ' -f 2)" "$(echo "$r_three" | cut -d ' ' -f 3)" \
			"$((3 * nd_lines))" "$(echo "$re_three" | cut -d ' ' -f 2)" "$(echo "$re_three" | cut -d ' ' -f 3)"
	fi
	echo ""
} > "$NOTE"

say ""
cat "$TABLE"
say ""
cat "$NOTE" >&2

[ "${BENCH_NO_DOC:-}" = 1 ] && exit 0

# --- docs/BENCHMARKS.md ---------------------------------------------------
load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
# the number of values in each domain: "5, 24 and 300"
ndom=$(awk '$1 == "str" { n = split($0, a, "\", \""); d = d (d == "" ? "" : ", ") n } END { print d }' "$COLINFO" |
	sed 's/\(.*\), /\1 and /')
SECTION=$TMP/body
{
	doc_head "Validation: ml-validate against jq" \
		"load average (1, 5, 15 min) $LOAD0 when the timing began, $load when it ended (a shared machine: other work runs alongside)"
	echo "- Tools: $(ver bin/ml-validate --version), $(ver jq --version), $(ver "$CC" --version)."
	echo "- Timing: $TIMER ($RUNS runs after 1 warm-up; jq $SLOW_RUNS runs, no warm-up, the file being in the page cache by then). Peak memory: GNU time \`%M\`, one run."
	echo "- Data: \`$NDJSON\` ($nd_lines records, $(bytes "$NDJSON") bytes; see the foundation section), its first half \`$HALF_A\` and \`$NDJSON3\` (it three times) for the memory."
	echo "- Schema: \`$SCHEMA\`, made by the script from the data: id an integer; age and delta nullable integers, income, balance and score nullable numbers, each with min and max its observed range; segment, device and city nullable strings with min_length, max_length and a domain of their observed values ($ndom); active a nullable boolean. Every record is valid. The same with one expectation (\`-e1\`, \`-e2\`), with $PCT_FIELD's max lowered to $PCT_MAX (\`-1pct\`: $n_rej records, $pct_share, invalid, rejected to \`$REJECT\` with \`--max-invalid 2%\`), and with no field (\`-none\`)."
	echo "- jq: \`$SELECT\` is \`select(…)\` of the same tests, field by field: \`has(\"f\")\`, then \`.f == null or (…)\` for the nullable ones, \`(.f|type)\`, \`(.f|floor) == .f\` for integers, \`.f >= MIN and .f <= MAX\`, \`(.f|length)\` against the lengths, and for the domains an object lookup, \`{\"A\": true, …}[.f] // false\`: jq's \`IN(\"A\", …)\` compares with each value in turn and made jq more than 10 times slower on city's 300 values. Before timing, the script checks that jq keeps every record with it and that ml-validate gives back data.ndjson byte for byte with each schema that covers the data, and, with the ~1% one, exactly the records (by id) that jq's \`$SELECT_PCT\` keeps."
	echo ""
	cat "$TABLE"
	echo ""
	cat "$NOTE"
	echo ""
	echo "The cost of an expectation is the difference of the medians from the first row, over the same records: the two-field one runs libjq on an object of just \`.income\` and \`.age\`, the whole-record one on the record parsed by libjq."
	echo ""
} > "$SECTION"
write_doc '<!-- bench:validate:begin -->' '<!-- bench:validate:end -->' "$SECTION"
