#!/bin/sh
# retrain.sh OUTDIR BATCHDIR TRIGGERS: train a candidate and put it through
# the gates to production.
#
# The candidate learns from the training parts of the last WINDOW valid
# batches up to BATCHDIR.  It and production are evaluated on the same
# held-out records, BATCHDIR's test part, and ml-promote decides: no worse
# than production (--no-worse NO_WORSE; --require-current: an empty stage
# never passes by default, except for the very first model), an AUC of at
# least GATE_MIN_AUC, and a log loss no worse than production's (a jq gate:
# the probabilities, not just their order, are what users of the model
# act on).  TRIGGERS (why) goes to
# the history as the reason and to OUTDIR/trigger.  Everything is left in
# OUTDIR: the window, the bundle, both metrics, the decision.
#
# A rejection is an outcome, not a failure: the candidate stays in OUTDIR
# and in the registry (registered), the history says which gate failed,
# and the script exits 0.  It exits non-zero only on trouble.
set -eu
out=$1 batchdir=$2 triggers=$3
batch=$(basename "$batchdir")
mkdir -p "$out"
echo "$triggers" >"$out/trigger"

ls -d "$WORK"/batch-*/train.ndjson | sed "\\|/$batch/|q" | tail -n "$WINDOW" >"$out/window"
echo "$batch: retraining ($triggers) on $(sed 's|.*/\(batch-[0-9]*\)/.*|\1|' "$out/window" | paste -sd' ' -)"
# shellcheck disable=SC2046,SC2086 # the window's paths and TRAIN_OPTS are words
ml-train -t "$LABEL" -a "$ALGO" $TRAIN_OPTS -o "$out/candidate.bundle" $(cat "$out/window")
ml-eval "$out/candidate.bundle" "$batchdir/test.ndjson" --slice region \
	--curves "$out/candidate.curves" -o "$out/candidate.metrics"

production=$(sh "$CT/production.sh")
if [ -n "$production" ]; then
	previous=$(ml-promote show production -f ndjson | jq -r .model)
	ml-eval "$production" "$batchdir/test.ndjson" -o "$out/production.metrics"
	set -- --current-metrics "$out/production.metrics" --require-current --no-worse "$NO_WORSE"
else
	previous=
	set --
fi
status=0
ml-promote promote "$out/candidate.bundle" --to production -m "$out/candidate.metrics" "$@" \
	--min "auc=$GATE_MIN_AUC" --gate '.current == null or .candidate.log_loss <= .current.log_loss' \
	--reason "$triggers [$batch]" -f ndjson >"$out/promotion.ndjson" 2>"$out/promotion.err" || status=$?
auc=$(head -n 1 "$out/candidate.metrics" | jq -r '.auc * 1000 | round / 1000')  # the overall line
case $status in
0)
	if [ ! -s "$out/promotion.ndjson" ]; then
		echo "$batch: the candidate is the production model already: nothing to do"
	elif [ -n "$previous" ]; then
		jq -c '{model: .after, previous: .before, promoted_by: $out}' --arg out "$out" \
			"$out/promotion.ndjson" >"$WORK/probation"
		echo "$batch: PROMOTED $(jq -r '.after[7:19]' "$out/promotion.ndjson") (auc $auc), on probation until the next batch"
	else
		echo "$batch: PROMOTED $(jq -r '.after[7:19]' "$out/promotion.ndjson") (auc $auc), the first model"
	fi
	;;
1)
	ml-promote register -f ndjson "$out/candidate.bundle" >/dev/null
	echo "$batch: REJECTED the candidate (auc $auc): $(jq -r '[.gates[] | select(.pass | not) | .gate] | join(", ")' "$out/promotion.ndjson")"
	;;
*)
	cat "$out/promotion.err" >&2
	exit "$status"
	;;
esac
