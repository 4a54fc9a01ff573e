# fish completion for ml-eval(1)

# The field names of the first record of the first input of records on the
# line (with jq): its first line that is not blank, when that is a JSON
# object, so that the model bundle before the records is passed over.
function __ml_eval_fields
    type -q jq; or return
    set -l tokens (commandline -opc)
    for i in (seq 2 (count $tokens))
        set -l w $tokens[$i]
        string match -q -- '-*' $w; and continue
        string match -q -- '*=*' $w; and continue
        contains -- $tokens[(math $i - 1)] -o --output --curves --baseline --run-log; and continue
        test -f $w -a -r $w; or continue
        set -l line (head -c 1048576 -- $w 2>/dev/null | tr -d '\0' | sed -n '/[^[:space:]]/{p;q;}')
        string match -q -r -- '^\s*\{' "$line"; or continue
        printf '%s\n' "$line" | jq -r 'keys_unsorted[]' 2>/dev/null
        return
    end
end

# --slice FIELD or NAME=EXPR: the fields; after NAME= the expression is the user's.
function __ml_eval_slice
    string match -q -- '*=*' (commandline -ct | string replace -r -- '^--slice=' ''); and return
    for f in (__ml_eval_fields)
        printf '%s\tfield\n' $f
    end
end

complete -c ml-eval -s l -l label -x -d "The field of the true label (default: the bundle's target)" \
    -a '(__ml_eval_fields)'
complete -c ml-eval -l pred -x -d 'The field of the predicted label or value (default prediction)' \
    -a '(__ml_eval_fields)'
complete -c ml-eval -l prob -x -d "The field of the probability of class 1, or of every class's" \
    -a '(__ml_eval_fields)'
complete -c ml-eval -l task -x -d "The task (default: the bundle's, or from the first record)" \
    -a 'binary\t"two classes" multiclass\t"more than two classes" regression\t"a number"'
complete -c ml-eval -l positive -x -d 'The label of class 1 (default true, 1, or the last)'
complete -c ml-eval -l threshold -x -d 'Class 1 when its probability is at least T (0.5)'
complete -c ml-eval -l slice -x -d 'Metrics per value of FIELD, or of a jq expression NAME=EXPR' \
    -a '(__ml_eval_slice)'
complete -c ml-eval -l fairness -x -d 'Gaps in positive rate, TPR and accuracy between the groups of FIELD' \
    -a '(__ml_eval_fields)'
complete -c ml-eval -l bootstrap -x -d 'Confidence intervals from N resamples'
complete -c ml-eval -l confidence -x -d 'The level of the intervals (0.95)'
complete -c ml-eval -l seed -x -d 'The seed of the resamples (0)'
complete -c ml-eval -l threads -x -d 'Threads for the bootstrap (2)'
complete -c ml-eval -l baseline -r -F -d 'Compare with another bundle, or the metrics file of an earlier run'
complete -c ml-eval -l require -x -d 'A jq condition on the overall line: exit 1 when false'
complete -c ml-eval -l curves -r -F -d 'Write ROC, precision-recall and calibration curves to FILE'
complete -c ml-eval -l bins -x -d 'Calibration bins (10)'
complete -c ml-eval -s f -l output-format -x -d 'Output format (default: text on a terminal)' \
    -a 'ndjson\t"a line of metrics per slice" text\t"a table"'
complete -c ml-eval -s o -l output -r -F -d 'Write to FILE, replaced only when all went well'
complete -c ml-eval -s v -l verbose -d 'Report counts on stderr'
complete -c ml-eval -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-eval -l no-run-log -d 'Do not log this run'
complete -c ml-eval -l progress -d 'Report progress on stderr'
complete -c ml-eval -s h -l help -d 'Show help and exit'
complete -c ml-eval -l version -d 'Show the version and exit'
