# fish completion for ml-ingest(1)

# The field names of the first input on the line, compressed or not: the
# header of a .csv or .tsv file, or the keys of the first NDJSON record.
function __ml_ingest_field_names
    for w in (commandline -opc)[2..-1]
        string match -q -- '-*' $w; and continue
        string match -q -- '*=*' $w; and continue
        test -f $w -a -r $w; or continue
        set -l base $w
        set -l dec cat
        switch $base
            case '*.gz'
                set base (string replace -r '\.gz$' '' -- $base); set dec gzip -dc
            case '*.bz2'
                set base (string replace -r '\.bz2$' '' -- $base); set dec bzip2 -dc
            case '*.xz'
                set base (string replace -r '\.xz$' '' -- $base); set dec xz -dc
            case '*.zst'
                set base (string replace -r '\.zst$' '' -- $base); set dec zstd -dcq
        end
        switch $base
            case '*.csv'
                $dec -- $w 2>/dev/null | head -n 1 | sed 's/^\xef\xbb\xbf//; s/\r$//; s/"//g' | string split ,
            case '*.tsv' '*.tab'
                $dec -- $w 2>/dev/null | head -n 1 | sed 's/^\xef\xbb\xbf//; s/\r$//' | string split \t
            case '*.ndjson' '*.jsonl'
                type -q jq; or return
                $dec -- $w 2>/dev/null | head -c 1048576 | sed -n '/[^[:space:]]/{p;q;}' | jq -r 'keys_unsorted[]' 2>/dev/null
            case '*'
                continue
        end
        return
    end
end

# A comma-separated list of field names: the ones given so far, then one more.
function __ml_ingest_field_list
    set -l tok (commandline -ct | string replace -r -- '^--[a-z-]+=' '')
    set -l head (string match -r -- '^.*,' $tok)
    for f in (__ml_ingest_field_names)
        printf '%s%s\tfield\n' "$head" $f
    end
end

# --rename OLD=NEW: a field name and '='; the new name is the user's.
function __ml_ingest_rename
    string match -q -- '*=*' (commandline -ct | string replace -r -- '^--rename=' ''); and return
    for f in (__ml_ingest_field_names)
        printf '%s=\tfield\n' $f
    end
end

# --member GLOB: the members of the first archive on the line, and patterns.
function __ml_ingest_members
    for w in (commandline -opc)[2..-1]
        string match -q -- '-*' $w; and continue
        test -f $w -a -r $w; or continue
        switch $w
            case '*.zip'
                if type -q unzip
                    unzip -Z1 -- $w 2>/dev/null
                else if type -q bsdtar
                    bsdtar -tf $w 2>/dev/null
                end
            case '*.tar' '*.tar.*' '*.tgz' '*.tbz2' '*.txz'
                tar -tf $w 2>/dev/null
            case '*'
                continue
        end | string match -v -- '*/' | head -n 1000 | string replace -r -- '$' \tmember
        break
    end
    printf '%s\tpattern\n' '*.csv' '*.tsv' '*.ndjson' '*.json'
end

complete -c ml-ingest -l format -x -d 'Input format (default: from the name, else the content)' \
    -a 'csv\t"comma-separated values (RFC 4180)" tsv\t"tab-separated values" ndjson\t"one JSON object per line" json\t"a JSON array of objects" libsvm\t"label idx:val lines"'
complete -c ml-ingest -s d -l delimiter -x -d 'Field delimiter of delimited text, one byte' \
    -a ',\tcomma \;\tsemicolon \|\t"vertical bar" \\\\t\ttab tab\ttab'
complete -c ml-ingest -l no-header -d 'The first row is data; columns are named c1..cN'
complete -c ml-ingest -l member -x -d 'Read only archive members matching GLOB (repeatable)' -a '(__ml_ingest_members)'
complete -c ml-ingest -l max-bytes -x -d 'Stop when one input gives more than SIZE bytes after decompression' \
    -a '100M\t"100 MiB" 1G\t"1 GiB" 10G\t"10 GiB"'
complete -c ml-ingest -l null -x -d 'Comma-separated tokens read as null' -a 'NA,N/A,null,NULL'
complete -c ml-ingest -l string -x -d 'Keep these comma-separated fields as strings' -a '(__ml_ingest_field_list)'
complete -c ml-ingest -l schema -x -k -d 'Force field types from an mlpipe schema' \
    -a '(__fish_complete_suffix .json)'
complete -c ml-ingest -l fields -x -d 'Keep only these comma-separated fields, in this order' \
    -a '(__ml_ingest_field_list)'
complete -c ml-ingest -l rename -x -d 'Rename a field, OLD=NEW (repeatable)' -a '(__ml_ingest_rename)'
complete -c ml-ingest -l add-source -x -d 'Add FIELD naming the file (and member) of each record' -a source
complete -c ml-ingest -s o -l output -r -F -d 'Write to FILE, replaced only when all went well'
complete -c ml-ingest -l reject -r -F -d 'Write unreadable rows to FILE and go on'
complete -c ml-ingest -s v -l verbose -d 'Report counts (read, written, rejected) on stderr'
complete -c ml-ingest -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-ingest -l no-run-log -d 'Do not log this run'
complete -c ml-ingest -l progress -d 'Report progress on stderr'
complete -c ml-ingest -s h -l help -d 'Show help and exit'
complete -c ml-ingest -l version -d 'Show the version and exit'
