# fish completion for ml-train(1)

# The field names of the first record of the first input on the line (with
# jq): the inputs are NDJSON, whatever their names.
function __ml_train_fields
    type -q jq; or return
    set -l tokens (commandline -opc)
    for i in (seq 2 (count $tokens))
        set -l w $tokens[$i]
        string match -q -- '-*' $w; and continue
        string match -q -- '*=*' $w; and continue
        contains -- $tokens[(math $i - 1)] -o --output --report --run-log; and continue
        test -f $w -a -r $w; or continue
        head -c 1048576 -- $w 2>/dev/null | sed -n '/[^[:space:]]/{p;q;}' | jq -r 'keys_unsorted[]' 2>/dev/null
        return
    end
end

# A comma-separated list of field names: the ones given so far, then one more.
function __ml_train_field_list
    set -l tok (commandline -ct | string replace -r -- '^--[a-z-]+=' '')
    set -l head (string match -r -- '^.*,' $tok)
    for f in (__ml_train_fields)
        printf '%s%s\tfield\n' "$head" $f
    end
end

# The algorithm given so far by -a or --algo (gbdt by default).
function __ml_train_algo
    set -l tokens (commandline -opc)
    set -l algo gbdt
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case '--algo=?*'
                set algo (string replace -- '--algo=' '' $tokens[$i])
            case -a --algo
                if test $i -lt (count $tokens)
                    set algo $tokens[(math $i + 1)]
                end
            case '-a?*'
                set algo (string sub -s 3 -- $tokens[$i])
        end
    end
    echo $algo
end

# -p KEY=VALUE and --grid KEY=V1,V2,...: the algorithm's keys (gbdt:
# gbdt_params in common/ml_model_gbdt.c), then after the '=' the values of
# a key that takes words, a list of them for --grid.
function __ml_train_param
    set -l tok (commandline -ct | string replace -r -- '^--(param|grid)=' '')
    if string match -q -- '*=*' $tok
        set -l key (string split -m1 = -- $tok)[1]
        set -l val (string split -m1 = -- $tok)[2]
        set -l head (string match -r -- '^.*,' $val)
        set -l vals
        switch $key
            case penalty
                set vals l1 l2
            case grow_policy
                set vals depthwise lossguide
            case tree_method
                set vals hist approx exact
            case eval_metric
                set vals logloss auc aucpr error mlogloss merror rmse mae
        end
        for v in $vals
            printf '%s=%s%s\tvalue\n' $key "$head" $v
        end
        return
    end
    set -l keys
    switch (__ml_train_algo)
        case logistic
            set keys C penalty eps
        case linear
            set keys alpha
        case '*'
            set keys rounds max_depth eta learning_rate gamma min_split_loss \
                min_child_weight max_delta_step subsample colsample_bytree \
                colsample_bylevel colsample_bynode lambda reg_lambda alpha reg_alpha \
                max_bin max_leaves scale_pos_weight num_parallel_tree base_score \
                grow_policy eval_metric tree_method
    end
    for k in $keys
        printf '%s=\tparameter\n' $k
    end
end

complete -c ml-train -s t -l target -x -d 'The field to predict' -a '(__ml_train_fields)'
complete -c ml-train -l task -x -d 'The task (default: from the target)' \
    -a 'binary\t"two classes" multiclass\t"more than two classes" regression\t"a number"'
complete -c ml-train -s a -l algo -x -d 'The algorithm (default gbdt)' \
    -a 'logistic\t"logistic regression (liblinear)" linear\t"least squares or ridge" gbdt\t"gradient-boosted trees (XGBoost)"'
complete -c ml-train -l features -x -d 'Use only these comma-separated fields' -a '(__ml_train_field_list)'
complete -c ml-train -l exclude -x -d 'Never use these comma-separated fields' -a '(__ml_train_field_list)'
complete -c ml-train -l weight -x -d 'A field of sample weights' -a '(__ml_train_fields)'
complete -c ml-train -l max-categories -x -d 'One-hot a string over its N most frequent values (20)'
complete -c ml-train -s p -l param -x -d 'A parameter of the algorithm, KEY=VALUE (repeatable)' -a '(__ml_train_param)'
complete -c ml-train -l valid -r -F -d 'Records to stop boosting early on (gbdt)'
complete -c ml-train -l early-stop -x -d 'Stop after N rounds without improvement on --valid'
complete -c ml-train -l cv -x -d 'Report K-fold cross-validation (stratified)'
complete -c ml-train -l grid -x -d 'Try these values by cross-validation, KEY=V1,V2,...' -a '(__ml_train_param)'
complete -c ml-train -l seed -x -d 'Fixes folds and random choices (default 0)'
complete -c ml-train -l threads -x -d 'Threads for XGBoost (default: every core)'
complete -c ml-train -l report -r -F -d 'Write the cross-validation table (NDJSON) to FILE'
complete -c ml-train -s o -l output -r -F -d 'Write the bundle to FILE, replaced only when all went well'
complete -c ml-train -s v -l verbose -d 'Report what was trained on stderr'
complete -c ml-train -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-train -l no-run-log -d 'Do not log this run'
complete -c ml-train -l progress -d 'Report progress on stderr'
complete -c ml-train -s h -l help -d 'Show help and exit'
complete -c ml-train -l version -d 'Show the version and exit'
