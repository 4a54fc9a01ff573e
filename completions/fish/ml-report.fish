# fish completion for ml-report(1)

# The column names of the profiles and drift reports on the line (with jq),
# in the order they come, each once: the "column" of their lines.  Reads at
# most 8 MiB of each; a bundle, a registry or a file that is not NDJSON
# gives none.
function __ml_report_columns
    type -q jq; or return
    set -l tokens (commandline -opc)
    for i in (seq 2 (count $tokens))
        set -l w $tokens[$i]
        string match -q -- '-*' $w; and continue
        string match -q -- '*=*' $w; and continue
        contains -- $tokens[(math $i - 1)] -o --output --run-log --title --columns; and continue
        test -f $w -a -r $w; or continue
        head -c 8388608 -- $w 2>/dev/null | tr -d '\0' |
            jq -rR 'fromjson? | objects | .column | strings' 2>/dev/null
    end | awk '!seen[$0]++'
end

# --columns LIST: the names, each after the commas already typed.
function __ml_report_column_list
    set -l cur (commandline -ct | string replace -r -- '^--columns=' '')
    set -l head (string match -r -- '^.*,' $cur)
    for c in (__ml_report_columns)
        printf '%s%s\tcolumn\n' "$head" $c
    end
end

complete -c ml-report -s o -l output -r -F -d 'Write to FILE, replaced only when all went well'
complete -c ml-report -s f -l output-format -x -d 'Output format (default html, even on a terminal)' \
    -a 'html\t"one self-contained page" text\t"a summary for a terminal or a mail"'
complete -c ml-report -l title -x -d 'The page\'s title (default "mlpipe report")'
complete -c ml-report -l columns -x -d 'Profile and drift: only these columns' \
    -a '(__ml_report_column_list)'
complete -c ml-report -s v -l verbose -d 'Say which artifacts were read'
complete -c ml-report -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-report -l no-run-log -d 'Do not log this run'
complete -c ml-report -l progress -d 'Report progress on stderr'
complete -c ml-report -s h -l help -d 'Show help and exit'
complete -c ml-report -l version -d 'Show the version and exit'
# the operands: artifacts, files and directories (a registry)
complete -c ml-report -F
