#!/bin/sh
# monitor.sh BATCHDIR: judge a model on probation.
#
# retrain.sh puts each model it promotes over an earlier one on probation
# ($WORK/probation: the new model and the one it replaced).  The next batch
# that passes validation judges it: both models are evaluated on all of the
# batch's labelled records, which neither was trained on, and when the new
# one's AUC is below the old one's by more than ROLLBACK_MARGIN, production
# is rolled back.  The probation file moves into the batch's directory
# first, so that a run that fails half-way judges again, and only once.
set -eu
dir=$1
batch=$(basename "$dir")
[ ! -f "$WORK/probation" ] || mv "$WORK/probation" "$dir/probation"
[ -f "$dir/probation" ] || exit 0

new=$(jq -r .model "$dir/probation")
old=$(jq -r .previous "$dir/probation")
current=$(ml-promote show production -f ndjson | jq -r .model)
if [ "$current" != "$new" ]; then
	echo "$batch: production changed since ${new#sha256:} was promoted: nothing to judge"
	exit 0
fi
ml-eval "$(ml-promote path "$new")" "$dir/valid.ndjson" -o "$dir/monitor-new.metrics"
ml-eval "$(ml-promote path "$old")" "$dir/valid.ndjson" -o "$dir/monitor-previous.metrics"
verdict=$(jq -nr --slurpfile new "$dir/monitor-new.metrics" --slurpfile old "$dir/monitor-previous.metrics" \
	--argjson margin "$ROLLBACK_MARGIN" '
	($new[0].auc * 1000 | round / 1000) as $n | ($old[0].auc * 1000 | round / 1000) as $o
	| if $new[0].auc < $old[0].auc - $margin
	  then "worse: auc \($n) against \($o) for the model before it"
	  else "ok: auc \($n) against \($o) for the model before it" end')
echo "$verdict" >"$dir/monitor.txt"
case $verdict in
worse*)
	echo "$batch: the model promoted last does worse: $verdict; rolling back"
	ml-promote rollback production -f ndjson \
		--reason "monitoring: $batch: $(echo "$new" | cut -c1-19) $verdict" >"$dir/rollback.ndjson"
	;;
*)
	echo "$batch: the model promoted last holds: $verdict"
	;;
esac
