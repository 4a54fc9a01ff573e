# fish completion for ml-predict(1)
# The first operand is the model bundle written by ml-train, the others
# NDJSON records: fish completes file names for both.

complete -c ml-predict -l info -d "Print the bundle's manifest, features and metrics as JSON"
complete -c ml-predict -l explain -d "Add each feature's contribution to the raw score"
complete -c ml-predict -l threshold -x -d 'Binary: predict class 1 at this probability or more (0.5)'
complete -c ml-predict -l prediction-field -x -d 'The field of the prediction (default prediction)'
complete -c ml-predict -l probability-field -x -d 'The field of the probability (probability, probabilities)'
complete -c ml-predict -l reject -r -F -d 'Write records that cannot be scored to FILE, with why'
complete -c ml-predict -s o -l output -r -F -d 'Write to FILE, replaced only when all went well'
complete -c ml-predict -s v -l verbose -d 'Report counts on stderr'
complete -c ml-predict -l run-log -r -F -d "Append this run's record to FILE"
complete -c ml-predict -l no-run-log -d 'Do not log this run'
complete -c ml-predict -l progress -d 'Report progress on stderr'
complete -c ml-predict -s h -l help -d 'Show help and exit'
complete -c ml-predict -l version -d 'Show the version and exit'
