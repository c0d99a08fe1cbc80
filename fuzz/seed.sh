#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/<target>/, git-ignored) from the bench
# corpus (benches/data/*.txt, one filter a line) and fuzz/seeds/queries.txt
# (whole queries): one file per line. Existing corpus files are kept, so
# findings of earlier runs stay in the corpus. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")"

# Writes each line of stdin to $1/<prefix>-<n>.
split_lines() {
    local dir=$1 prefix=$2 n=0 line
    mkdir -p "$dir"
    while IFS= read -r line || [[ -n $line ]]; do
        n=$((n + 1))
        printf '%s' "$line" >"$dir/$prefix-$(printf '%03d' "$n")"
    done
}

for f in ../benches/data/filters.txt ../benches/data/invalid.txt; do
    name=$(basename "$f" .txt)
    split_lines corpus/parse_filter "$name" <"$f"
    for t in parse_query validate_eval; do
        sed 's/^/$filter=/' "$f" | split_lines "corpus/$t" "$name"
    done
done
for t in parse_query validate_eval; do
    split_lines "corpus/$t" queries <seeds/queries.txt
done
# `structured` reads bytes as generator choices; text seeds are as good as
# any, and libFuzzer starts from the empty input anyway.
split_lines corpus/structured filters <../benches/data/filters.txt
