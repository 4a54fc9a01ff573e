# fish completion for ml-stats(1)

# The column names of the first input on the line: the column lines of a
# profile, or the keys of the first NDJSON record (with jq).
function __ml_stats_columns
    type -q jq; or return
    set -l tokens (commandline -opc)
    for i in (seq 2 (count $tokens))
        set -l w $tokens[$i]
        string match -q -- '-*' $w; and continue
        string match -q -- '*=*' $w; and continue
        contains -- $tokens[(math $i - 1)] -o --output --run-log; and continue
        test -f $w -a -r $w; or continue
        set -l line (head -c 1048576 -- $w 2>/dev/null | sed -n '/[^[:space:]]/{p;q;}')
        if string match -q -- '*"format":"mlpipe.profile"*' "$line"
            jq -r '.column // empty' <$w 2>/dev/null | awk '!seen[$0]++'
        else
            printf '%s\n' "$line" | jq -r 'keys_unsorted[]' 2>/dev/null
        end
        return
    end
end

# A comma-separated list of column names: the ones given so far, then one more.
function __ml_stats_column_list
    set -l tok (commandline -ct | string replace -r -- '^--[a-z-]+=' '')
    set -l head (string match -r -- '^.*,' $tok)
    for c in (__ml_stats_columns)
        printf '%s%s\tcolumn\n' "$head" $c
    end
end

complete -c ml-stats -l merge -d 'The inputs are profiles (of shards): merge them into one'
complete -c ml-stats -l columns -x -d 'Profile only these comma-separated columns' -a '(__ml_stats_column_list)'
complete -c ml-stats -l exclude -x -d 'Leave out these comma-separated columns' -a '(__ml_stats_column_list)'
complete -c ml-stats -l top -x -d 'Most frequent string values listed (default 10)'
complete -c ml-stats -l bins -x -d 'Histogram bins per numeric column (default 20)'
complete -c ml-stats -l threads -x -d 'Profile with N threads, merged at the end (default 1)'
complete -c ml-stats -s f -l output-format -x -d 'Output format (default: text on a terminal)' \
    -a 'ndjson\t"the profile" text\t"a table"'
complete -c ml-stats -s o -l output -r -F -d 'Write to FILE, replaced only when all went well'
complete -c ml-stats -s v -l verbose -d 'Report counts on stderr'
complete -c ml-stats -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-stats -l no-run-log -d 'Do not log this run'
complete -c ml-stats -l progress -d 'Report progress on stderr'
complete -c ml-stats -s h -l help -d 'Show help and exit'
complete -c ml-stats -l version -d 'Show the version and exit'
