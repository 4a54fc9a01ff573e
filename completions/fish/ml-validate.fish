# fish completion for ml-validate(1)

complete -c ml-validate -s s -l schema -r -F -d 'The schema to check the records against'
complete -c ml-validate -l reject -r -F -d 'Write each invalid record to FILE, with the rules it broke'
complete -c ml-validate -l report -r -F -d 'Write the report (mlpipe.validation NDJSON) to FILE'
complete -c ml-validate -l max-invalid -x -d 'Share of invalid records allowed before exit 1 (0.05 or 5%; default 0)'
complete -c ml-validate -s o -l output -r -F -d 'Write to FILE, replaced only when the run exits 0'
complete -c ml-validate -l infer -d 'Write a schema inferred from the inputs instead of validating'
complete -c ml-validate -l margin -x -d 'With --infer: widen numeric ranges by F x (max - min) (default 0)'
complete -c ml-validate -l max-domain -x -d 'With --infer: a domain for string columns of at most N values (20)'
complete -c ml-validate -s v -l verbose -d 'Report the summary on stderr'
complete -c ml-validate -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-validate -l no-run-log -d 'Do not log this run'
complete -c ml-validate -l progress -d 'Report progress on stderr'
complete -c ml-validate -s h -l help -d 'Show help and exit'
complete -c ml-validate -l version -d 'Show the version and exit'
