#!/bin/sh
# Run every unit test program given as an argument, show its output, and
# finish with the totals over all of them as the very last line:
# "N passed, N failed".  A program that dies without printing its RESULT
# line (an ASan report, a crash) counts as one failed test.  Exits
# non-zero if anything failed.

passed=0
failed=0
# A test that hangs (say, a parser looping on a zero-length entry) must
# not hang the run.
limit=""
if command -v timeout >/dev/null 2>&1; then
    limit="timeout 300"
fi

tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT

for prog in "$@"; do
    echo "== $(basename "$prog")"
    $limit "$prog" >"$tmp" 2>&1
    rc=$?
    cat "$tmp"
    res=$(sed -n 's/^RESULT: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
          "$tmp" | tail -n 1)
    if [ -z "$res" ]; then
        echo "CRASH $(basename "$prog") (exit status $rc, no RESULT line)"
        failed=$((failed + 1))
        continue
    fi
    p=${res% *}
    f=${res#* }
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "CRASH $(basename "$prog") (exit status $rc after RESULT)"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
