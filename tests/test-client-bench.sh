#!/bin/sh
# tests/test-client-bench.sh - TAP smoke test of `vhostfs-client bench`: a
# very short run of every workload against vhostfsd, then with --compare
# against QEMU's C virtiofsd.  It checks that the runs complete, exit 0
# and that the --json output parses and names every workload; the numbers
# themselves are not checked (they depend on the machine).  It also checks
# that the client's pread baseline runs in every round of seqread-1m.
#
# Needs root (the daemons' sandboxes); the --compare case also needs
# /usr/lib/qemu/virtiofsd (Debian package qemu-system-common) and skips
# without it.
# Environment: VHOSTFS_VIRTIOFSD (default /usr/lib/qemu/virtiofsd),
# top_builddir (set by make check).
set -u
. "$(dirname "$0")/tap.sh"
builddir=${top_builddir:-.}
client=$builddir/src/vhostfs-client
daemon=$builddir/src/vhostfsd
virtiofsd=${VHOSTFS_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}

[ "$(id -u)" -eq 0 ] || skip_all "the daemons need root"
[ -x "$client" ] || skip_all "no $client (build it first)"
[ -x "$daemon" ] || skip_all "no $daemon (build it first)"
command -v python3 >/dev/null || skip_all "no python3 to parse the JSON"

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-client-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
mkdir -p "$work/share"

echo "1..8"
n=0

# Every workload key the JSON must have, with the backends it names.
check_json() { # FILE BACKEND-KEYS
    python3 - "$1" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
keys = sys.argv[2].split(",")
w = doc["workloads"]
for name in ["seqread-1m", "seqwrite-1m", "randread-4k-qd1",
             "randread-4k-qd16", "randwrite-4k-qd1", "randwrite-4k-qd16",
             "create", "stat", "unlink", "readdir"]:
    for k in keys:
        r = w[name][k]
        assert r["ops"] > 0, (name, k, "no operations")
        for f in ["ops_per_s", "p50_us", "p99_us", "p999_us",
                  "cpu_us_per_op", "peak_rss_kib"]:
            assert f in r, (name, k, f)
    if len(keys) == 2:
        assert "ops_per_s" in w[name]["ratio"], (name, "ratio")
assert w["pread-1m"]["client"]["ops"] > 0
for k in keys:
    assert w["dax-read"][k]["skipped"], ("dax-read", k, "no reason")
assert set(doc["cached_read_percent_of_pread"]) == set(keys)
EOF
}

vhostfsd="'$daemon' --socket-path={sock} --shared-dir={dir} --cache=auto"
vhostfsd="$vhostfsd --sandbox=none"
small="--duration 0.2 --file-size 4M --dir-entries 1000"

# shellcheck disable=SC2086 # $small is a list of options
"$client" --timeout 30 --dir "$work/share" --backend "$vhostfsd" \
    bench $small >"$work/text.out" 2>&1
rc=$?
ok "$rc" "bench against vhostfsd completes"
[ "$rc" -eq 0 ] || diag "$work/text.out"

grep -q "^dax-read: not measured: the backend does not offer DAX" \
    "$work/text.out" &&
    grep -q "^randread-4k-qd16 *vhostfsd" "$work/text.out"
st=$?
ok "$st" "the table names the workloads"
[ "$st" -eq 0 ] || diag "$work/text.out"

# shellcheck disable=SC2086
"$client" --timeout 30 --dir "$work/share" --backend "$vhostfsd" \
    bench $small --json >"$work/one.json" 2>"$work/one.err"
rc=$?
[ "$rc" -eq 0 ] && python3 -m json.tool "$work/one.json" >/dev/null &&
    check_json "$work/one.json" a 2>>"$work/one.err"
st=$?
ok "$st" "--json parses and has every workload"
[ "$st" -eq 0 ] || diag "$work/one.err"

# With DAX the workload is measured: both parts have numbers.
# shellcheck disable=SC2086
"$client" --timeout 30 --dir "$work/share" \
    --backend "$vhostfsd --dax=shmem --dax-window=64M" \
    bench $small --workloads dax-read --json >"$work/dax.json" 2>"$work/dax.err"
rc=$?
[ "$rc" -eq 0 ] && python3 - "$work/dax.json" 2>>"$work/dax.err" <<'EOF'
import json, sys
w = json.load(open(sys.argv[1]))["workloads"]["dax-read"]["a"]
for part in ["4k", "1m"]:
    for f in ["ops", "ops_per_s", "mb_per_s", "p50_us", "p99_us"]:
        assert isinstance(w[part][f], (int, float)), (part, f)
for f in ["ratio_to_randread_4k_qd1", "ratio_to_seqread_1m"]:
    assert f in w, f
EOF
st=$?
ok "$st" "dax-read against vhostfsd --dax=shmem has numbers"
[ "$st" -eq 0 ] || diag "$work/dax.err"

# The client's pread baseline runs in each round of seqread-1m, right
# after the backend (the progress lines on stderr say what ran, in order).
# shellcheck disable=SC2086
"$client" --timeout 30 --dir "$work/share" --backend "$vhostfsd" \
    bench $small --rounds 2 --workloads seqread-1m,pread-1m \
    >"$work/base.out" 2>"$work/base.err"
rc=$?
order=$(sed -n 's/^# round \([0-9]\)\/2 \([^ ]*\) \([^:]*\):.*/\1 \2 \3/p' \
    "$work/base.err" | tr '\n' ,)
want="1 vhostfsd seqread-1m,1 client pread-1m,"
want="${want}2 vhostfsd seqread-1m,2 client pread-1m,"
[ "$rc" -eq 0 ] && [ "$order" = "$want" ] &&
    grep -q "^# cached 1 MiB reads, vhostfsd: .* % of the client's pread loop" \
        "$work/base.out"
st=$?
ok "$st" "the pread baseline runs in every round beside seqread-1m"
[ "$st" -eq 0 ] || { echo "# order: $order"; diag "$work/base.err"; }

left=$(find "$work/share" -mindepth 1 | head -n 5)
[ -z "$left" ]
ok $? "nothing left in the shared directory"
[ -z "$left" ] || echo "$left" | sed 's/^/# /'

if [ ! -x "$virtiofsd" ]; then
    for d in "--compare completes" "--compare --json has both and ratios"; do
        n=$((n + 1))
        echo "ok $n - $d # SKIP no $virtiofsd"
    done
    exit 0
fi
# The sandbox test-client-virtiofsd.sh found to work in containers.
cmp="'$virtiofsd' --socket-path={sock} -o source={dir} -o cache=auto"
cmp="$cmp -o sandbox=chroot"
# shellcheck disable=SC2086
"$client" --timeout 30 --dir "$work/share" --backend "$vhostfsd" \
    bench $small --rounds 1 --compare "$cmp" >"$work/cmp.out" 2>&1
rc=$?
ok "$rc" "--compare completes"
[ "$rc" -eq 0 ] || diag "$work/cmp.out"

# shellcheck disable=SC2086
"$client" --timeout 30 --dir "$work/share" --backend "$vhostfsd" \
    bench $small --compare "$cmp" --json >"$work/cmp.json" 2>"$work/cmp.err"
rc=$?
[ "$rc" -eq 0 ] && python3 -m json.tool "$work/cmp.json" >/dev/null &&
    check_json "$work/cmp.json" a,b 2>>"$work/cmp.err"
st=$?
ok "$st" "--compare --json has both backends and the ratios"
[ "$st" -eq 0 ] || diag "$work/cmp.err"
