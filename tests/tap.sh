# tests/tap.sh - TAP helpers the test scripts share; sourced, never run.
# n counts the test lines printed so far.

n=0

# skip_all REASON: the whole script is skipped.
skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

# diag FILE: print FILE as TAP diagnostics.
diag() {
    sed 's/^/# /' "$1"
}

# ok STATUS DESCRIPTION: one test line, passed when STATUS is 0.
ok() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
    fi
}
