# fish completion for ml-promote(1)

# The command: the first word that is neither an option nor an option's
# argument.  Prints it, with the number of operands after it on the next
# line; fails when there is none yet.
function __ml_promote_command
    set -l tokens (commandline -opc)
    set -l skip 0
    set -l cmd
    set -l n 0
    for w in $tokens[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case -r --registry --to -m --metrics --current-metrics -g --gate \
                --min --max --no-worse --reason -f --output-format --run-log
                set skip 1
            case '-*'
            case '*'
                if test -z "$cmd"
                    set cmd $w
                else
                    set n (math $n + 1)
                end
        end
    end
    test -n "$cmd"; or return 1
    printf '%s\n%s\n' $cmd $n
end

# Whether the command is one of the arguments; with -0 also that no
# operand follows it yet.
function __ml_promote_command_is
    set -l first 0
    if test "$argv[1]" = -0
        set first 1
        set -e argv[1]
    end
    set -l c (__ml_promote_command); or return 1
    contains -- $c[1] $argv; or return 1
    test $first = 0 -o $c[2] = 0
end

# The registry the line names: -r DIR, --registry DIR or --registry=DIR,
# else $ML_REGISTRY, else $ML_HOME/registry, else .ml/registry.
function __ml_promote_registry
    set -l tokens (commandline -opc)
    set -l dir
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case '--registry=?*'
                set dir (string replace -- '--registry=' '' $tokens[$i])
            case -r --registry
                if test $i -lt (count $tokens)
                    set dir $tokens[(math $i + 1)]
                end
            case '-r?*'
                set dir (string sub -s 3 -- $tokens[$i])
        end
    end
    if test -n "$dir"
        string replace -r -- '^~/' "$HOME/" $dir
    else if test -n "$ML_REGISTRY"
        echo $ML_REGISTRY
    else if test -n "$ML_HOME"
        echo $ML_HOME/registry
    else
        echo .ml/registry
    end
end

# The registry's stages: the files of its stages/ directory (a writer's
# .tmp.* files are hidden, and so not matched).
function __ml_promote_stages
    set -l dir (__ml_promote_registry)/stages
    for f in $dir/*
        test -f $f; and printf '%s\tstage\n' (basename -- $f)
    end
end

# The metrics the tolerance gates take: those with a better side.
function __ml_promote_metrics
    printf '%s\thigher is better\n' accuracy precision recall f1 auc \
        average_precision mcc macro_precision macro_recall macro_f1 \
        micro_precision micro_recall micro_f1 weighted_precision \
        weighted_recall weighted_f1 r2 explained_variance
    printf '%s\tlower is better\n' log_loss brier ece mae mse rmse mape medae
end

# --min/--max METRIC=VALUE: the metrics, each with its '='; then a number.
function __ml_promote_bound
    set -l tok (commandline -ct | string replace -r -- '^--(min|max)=' '')
    string match -q -- '*=*' $tok; and return
    __ml_promote_metrics | string replace -r -- '\t' '=\t'
end

# --no-worse METRIC[:TOL]: the metrics; after the ':' a tolerance.
function __ml_promote_no_worse
    set -l tok (commandline -ct | string replace -r -- '^--no-worse=' '')
    string match -q -- '*:*' $tok; and return
    __ml_promote_metrics
end

complete -c ml-promote -f

# the command first, then its operands
complete -c ml-promote -n 'not __ml_promote_command' -a register -d 'Store bundles (the same bundle twice is one object)'
complete -c ml-promote -n 'not __ml_promote_command' -a promote -d 'Point --to STAGE at BUNDLE when every gate holds'
complete -c ml-promote -n 'not __ml_promote_command' -a rollback -d 'Point STAGE back at the version it held before'
complete -c ml-promote -n 'not __ml_promote_command' -a list -d 'Every stage and the model it holds'
complete -c ml-promote -n 'not __ml_promote_command' -a show -d "A stage's or a model's manifest and metrics"
complete -c ml-promote -n 'not __ml_promote_command' -a history -d 'The events, oldest first'
complete -c ml-promote -n 'not __ml_promote_command' -a path -d "The file of the stage's bundle, verified"
complete -c ml-promote -n 'not __ml_promote_command' -a verify -d 'Check every object, stage file and history line'
complete -c ml-promote -n '__ml_promote_command_is register' -F
complete -c ml-promote -n '__ml_promote_command_is -0 promote' -F
complete -c ml-promote -n '__ml_promote_command_is -0 rollback show history path' -a '(__ml_promote_stages)'

complete -c ml-promote -s r -l registry -x -d 'The registry (default $ML_REGISTRY, else $ML_HOME/registry, else .ml/registry)' \
    -a '(__fish_complete_directories (commandline -ct | string replace -r -- "^--registry=" ""))'
complete -c ml-promote -l to -x -d 'The stage to promote to' -a '(__ml_promote_stages)'
complete -c ml-promote -s m -l metrics -r -F -d "The candidate's metrics (ml-eval's output)"
complete -c ml-promote -l current-metrics -r -F -d "The current model's metrics on the same records"
complete -c ml-promote -s g -l gate -x -d 'A jq condition on {candidate, current} (repeatable)'
complete -c ml-promote -l min -x -d "The candidate's METRIC is at least VALUE" -a '(__ml_promote_bound)'
complete -c ml-promote -l max -x -d "The candidate's METRIC is at most VALUE" -a '(__ml_promote_bound)'
complete -c ml-promote -l no-worse -x -d "Not worse than the current model's METRIC by more than TOL" \
    -a '(__ml_promote_no_worse)'
complete -c ml-promote -l require-current -d 'Reject when STAGE holds no model to compare with'
complete -c ml-promote -s n -l dry-run -d 'Decide and print, change nothing'
complete -c ml-promote -l reason -x -d 'Why, kept in the history'
complete -c ml-promote -s f -l output-format -x -d 'Output format (default: text on a terminal)' \
    -a 'ndjson\t"JSON lines" text\t"for people"'
complete -c ml-promote -s v -l verbose -d 'Say more on stderr'
complete -c ml-promote -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-promote -l no-run-log -d 'Do not log this run'
complete -c ml-promote -l progress -d 'Report progress on stderr'
complete -c ml-promote -s h -l help -d 'Show help and exit'
complete -c ml-promote -l version -d 'Show the version and exit'
