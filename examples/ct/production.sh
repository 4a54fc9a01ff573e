#!/bin/sh
# production.sh: print the path of the production model's bundle (verified
# against its hash), or nothing when the stage holds no model yet.
# Exit 2 on trouble, such as a corrupt registry: "no model" and "cannot
# tell" must not look the same to the caller.
set -eu
stages=$(ml-promote list -f ndjson)
model=$(printf '%s\n' "$stages" | jq -r 'select(.stage == "production") | .model')
if [ -n "$model" ]; then
	ml-promote path production
fi
