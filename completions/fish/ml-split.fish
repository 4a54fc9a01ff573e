# fish completion for ml-split(1)

# The part names given so far by --ratio or --parts, or the defaults of --by.
function __ml_split_parts
    set -l tokens (commandline -opc)
    set -l names
    set -l by
    set -l cuts 0
    for i in (seq 2 (count $tokens))
        set -l w $tokens[$i]
        switch $w
            case '--ratio=?*' '--parts=?*'
                set names (string split , -- (string split -m1 = -- $w)[2])
            case --ratio --parts
                if test $i -lt (count $tokens)
                    set names (string split , -- $tokens[(math $i + 1)])
                end
            case '--by' '--by=*'
                set by 1
            case '--cut' '--cut=*'
                set cuts (math $cuts + 1)
        end
    end
    if set -q names[1]
        for n in $names
            echo (string split -m1 = -- $n)[1]
        end
    else if set -q by[1]
        if test $cuts -le 1
            printf '%s\n' train test
        else
            for i in (seq 1 (math $cuts + 1))
                echo part$i
            end
        end
    end
end

# -o NAME=FILE: a part name, then a file after the '='; with --tag, a file.
function __ml_split_output
    set -l tok (commandline -ct)
    if contains -- --tag (commandline -opc); or string match -q -- '--tag=*' (commandline -opc)
        __fish_complete_path $tok
    else if string match -q -- '*=*' $tok
        set -l name (string split -m1 = -- $tok)[1]
        set -l path (string split -m1 = -- $tok)[2]
        __fish_complete_path $path | string replace -r -- '^' "$name="
    else
        for p in (__ml_split_parts)
            printf '%s=\tpart\n' $p
        end
    end
end

# Field names from the first record of the first NDJSON file on the line.
function __ml_split_fields
    type -q jq; or return
    for w in (commandline -opc)[2..-1]
        string match -q -- '-*' $w; and continue
        string match -q -r -- '\.(ndjson|jsonl|json)$' $w; or continue
        test -f $w -a -r $w; or continue
        head -c 1048576 -- $w 2>/dev/null | sed -n '/[^[:space:]]/{p;q;}' | jq -r 'keys_unsorted[] + "\tfield"' 2>/dev/null
        return
    end
end

complete -c ml-split -l ratio -x -d 'Split by hash: parts and their shares, NAME=SHARE,...' \
    -a 'train=0.8,test=0.2 train=0.9,test=0.1 train=0.7,valid=0.15,test=0.15'
complete -c ml-split -l key -x -d 'Hash this field (default: the whole line)' -a '(__ml_split_fields)'
complete -c ml-split -l seed -x -d 'Another seed gives another assignment (default 0)'
complete -c ml-split -l by -x -d 'Split by this field against the cut points' -a '(__ml_split_fields)'
complete -c ml-split -l cut -x -d 'A cut point (repeatable, ascending)'
complete -c ml-split -l parts -x -d 'Names of the parts of --by, NAME,...' -a 'train,test train,valid,test'
complete -c ml-split -s o -l output -x -d 'Write part NAME to FILE (NAME=FILE), or with --tag the stream' \
    -a '(__ml_split_output)'
complete -c ml-split -l tag -x -d 'Write one stream with this field set to the part name'
complete -c ml-split -s v -l verbose -d 'Report counts on stderr'
complete -c ml-split -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-split -l no-run-log -d 'Do not log this run'
complete -c ml-split -l progress -d 'Report progress on stderr'
complete -c ml-split -s h -l help -d 'Show help and exit'
complete -c ml-split -l version -d 'Show the version and exit'
