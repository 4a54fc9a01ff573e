# fish completion for ml-log(1)

# The command: the first word that is neither an option nor an option's
# argument.  Prints it, with the number of operands after it on the next
# line; fails when there is none yet.
function __ml_log_command
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
            case --tool --since --until --status --pipeline --run --last \
                --depth -f --output-format -o --output --run-log
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

# Whether the command is lineage, with no artifact after it yet.
function __ml_log_wants_artifact
    set -l c (__ml_log_command); or return 1
    test "$c[1]" = lineage -a "$c[2]" = 0
end

# --tool NAME: the programs that write the run log, whole or without ml-.
function __ml_log_tools
    set -l tok (commandline -ct | string replace -r -- '^--tool=' '')
    set -l tools ml-ingest ml-split ml-validate ml-stats ml-drift ml-train \
        ml-predict ml-eval ml-promote
    if string match -q -- 'ml-*' "$tok"; or string match -q -- "$tok*" ml-
        printf '%s\n' $tools
    else
        string replace -- ml- '' $tools
    end
end

# --since/--until TIME: a time ago, or today's date (UTC).
function __ml_log_times
    printf '%s\tago\n' 1h 12h 1d 7d
    printf '%s\ttoday, UTC\n' (date -u +%F 2>/dev/null)
end

complete -c ml-log -f

# the command first; lineage takes an artifact: a file, or a sha256:ID
complete -c ml-log -n 'not __ml_log_command' -a runs -d 'List the runs that match the filters'
complete -c ml-log -n 'not __ml_log_command' -a lineage -d 'Walk back from an artifact to the runs and data that made it'
complete -c ml-log -n __ml_log_wants_artifact -F

complete -c ml-log -l tool -x -d 'Runs of NAME (ml-train, or train); repeatable' -a '(__ml_log_tools)'
complete -c ml-log -l since -x -d 'Runs started at or after TIME' -a '(__ml_log_times)'
complete -c ml-log -l until -x -d 'Runs started before TIME' -a '(__ml_log_times)'
complete -c ml-log -l status -x -d 'Runs that exited so' \
    -a '0\tsuccess 1\t"the check failed" 2\ttrouble ok\t"exit 0" failed\t"exit 1 or 2"'
complete -c ml-log -l pipeline -x -d 'Runs with ML_PIPELINE_ID=ID'
complete -c ml-log -l run -x -d 'The run with this run_id (8 or more leading hex digits)'
complete -c ml-log -l last -x -d 'Only the last N of the runs that match'
complete -c ml-log -l depth -x -d 'Lineage: at most N runs back (default: all)'
complete -c ml-log -l all -d 'Lineage: every run that made an artifact, not just the latest per program'
complete -c ml-log -s f -l output-format -x -d 'Output format (default: text on a terminal)' \
    -a 'ndjson\t"JSON lines" text\t"a table, or a tree"'
complete -c ml-log -s o -l output -r -F -d 'Write to FILE, replaced only when all went well'
complete -c ml-log -s v -l verbose -d 'Report counts on stderr'
complete -c ml-log -l run-log -r -F -d 'The run log to read'
complete -c ml-log -l no-run-log -d 'An error: ml-log needs a log to read'
complete -c ml-log -l progress -d 'Report progress on stderr'
complete -c ml-log -s h -l help -d 'Show help and exit'
complete -c ml-log -l version -d 'Show the version and exit'
