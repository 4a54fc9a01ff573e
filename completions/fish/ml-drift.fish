# fish completion for ml-drift(1)

# The column names of the first input on the line (the reference): the
# column lines of a profile, or the keys of the first NDJSON record (with
# jq).
function __ml_drift_columns
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
function __ml_drift_column_list
    set -l tok (commandline -ct | string replace -r -- '^--[a-z-]+=' '')
    set -l head (string match -r -- '^.*,' $tok)
    for c in (__ml_drift_columns)
        printf '%s%s\tcolumn\n' "$head" $c
    end
end

# The methods, with what they measure.
function __ml_drift_methods
    printf '%s\t%s\n' \
        psi 'Population stability index over deciles or categories' \
        ks 'Kolmogorov-Smirnov test (numbers)' \
        wasserstein 'Wasserstein-1 distance in reference sd (numbers)' \
        js 'Jensen-Shannon distance, base 2' \
        chi2 'Chi-square test of homogeneity (categories)' \
        linf 'L-infinity distance of the shares (categories)'
end

# --method [COL=]NAME: a method for every column, or COL= and then its method.
function __ml_drift_method
    set -l tok (commandline -ct | string replace -r -- '^--method=' '')
    if string match -q -- '*=*' $tok
        set -l col (string split -m1 = -- $tok)[1]
        __ml_drift_methods | string replace -r -- '^' "$col="
    else
        __ml_drift_methods
        for c in (__ml_drift_columns)
            printf '%s=\tcolumn\n' $c
        end
    end
end

# --threshold [COL=]X: COL= for one column; the number is the user's.
function __ml_drift_threshold
    string match -q -- '*=*' (commandline -ct | string replace -r -- '^--threshold=' ''); and return
    for c in (__ml_drift_columns)
        printf '%s=\tcolumn\n' $c
    end
end

complete -c ml-drift -l method -x -d 'The method for COL (or for every column), [COL=]NAME' \
    -a '(__ml_drift_method)'
complete -c ml-drift -l threshold -x -d 'The threshold for COL (or for every column), [COL=]X' \
    -a '(__ml_drift_threshold)'
complete -c ml-drift -l columns -x -d 'Compare only these comma-separated columns' -a '(__ml_drift_column_list)'
complete -c ml-drift -l exclude -x -d 'Leave out these comma-separated columns' -a '(__ml_drift_column_list)'
complete -c ml-drift -l critical -x -d 'The data has drifted when any of these columns has' \
    -a '(__ml_drift_column_list)'
complete -c ml-drift -l share -x -d 'The data has drifted when this share of columns has (0.5)'
complete -c ml-drift -l fdr -x -d "Benjamini-Hochberg across the tests' p-values at level Q" -a '0.05 0.1'
complete -c ml-drift -l small -x -d 'Sample size below which tests decide (1000)'
complete -c ml-drift -s f -l output-format -x -d 'Output format (default: text on a terminal)' \
    -a 'ndjson\t"a line per column and a summary" text\t"a table"'
complete -c ml-drift -s o -l output -r -F -d 'Write to FILE, replaced only when all went well'
complete -c ml-drift -s v -l verbose -d 'Report the verdict on stderr'
complete -c ml-drift -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-drift -l no-run-log -d 'Do not log this run'
complete -c ml-drift -l progress -d 'Report progress on stderr'
complete -c ml-drift -s h -l help -d 'Show help and exit'
complete -c ml-drift -l version -d 'Show the version and exit'
