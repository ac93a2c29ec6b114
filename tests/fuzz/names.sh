#!/usr/bin/env bash
# The fuzzers of name escaping (exposition, JSON, terminal text, UTF-8
# cutting), a few seconds each over the committed corpus (fuzz/corpus/):
# a crash, or an output that breaks the property its harness checks, fails
# the test.  What they find new stays in build/fuzz; `make fuzz` runs them
# longer and keeps it.
cd "$(dirname "$0")/../.."
FUZZ="expo json termtext utf8" FUZZ_SECONDS=${FUZZ_SECONDS:-5} FUZZ_KEEP=0 \
	exec fuzz/run.sh
