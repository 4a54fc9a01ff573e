#!/bin/sh
# quarantine.sh BATCHDIR: ml-validate refused the batch (exit 1).  Write
# QUARANTINED, the reason in one line, so that later runs pass the batch
# by, and say so on stderr (cron mails it).  The batch's rejects
# (invalid.ndjson) and report (validation.ndjson) stay for a person to read.
set -eu
dir=$1
report=$dir/validation.ndjson
why=$(jq -rs '
	(.[0] | "\(.invalid) of \(.records) records invalid (\(.invalid_share * 1000 | round / 10)%, at most \(.max_invalid * 100)% allowed)"),
	(.[] | select(.kind == "rule" and .violations > 0) | "\(.field // "") \(.rule) \(.violations)"),
	(.[] | select(.kind == "dataset" and (.passed | not) and .constraint != "max_invalid") | "\(.constraint) \(.field // "") failed")
	' "$report" | paste -sd';' - | sed 's/;/: /; s/;/, /g')
echo "$why" >"$dir/QUARANTINED"
echo "$(basename "$dir"): QUARANTINED, not trained on: $why" >&2
echo "$(basename "$dir"): see $dir/invalid.ndjson and $dir/validation.ndjson; 'make requeue BATCH=$(basename "$dir")' after a fix" >&2
