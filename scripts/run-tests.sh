#!/bin/sh
# `make test`: the host unit tests, then the integration tests that boot
# the real image under QEMU and Bochs.  Each suite prints its own report;
# the last line is the total over both, "N passed, N failed".  Exits
# non-zero when anything failed.
cd "$(dirname "$0")/.." || exit 1
PYTHON=${PYTHON:-/usr/bin/python3}
log=$(mktemp -d) || exit 1
trap 'rm -rf "$log"' EXIT

make --no-print-directory -C tests/unit run 2>&1 | tee "$log/unit"
unit_rc=$?
# The unit runner's last line is "N passed, N failed".
unit=$(tail -n 1 "$log/unit" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
[ -n "$unit" ] || unit="0 1"

$PYTHON -m pytest tests/integration --durations=25 --junitxml="$log/junit.xml" 2>&1 |
    tee "$log/integration"
# Count from the JUnit report: pytest's summary line varies in shape.
integ=$($PYTHON - "$log/junit.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 1")
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - bad - skipped, bad)
PY
)

up=${unit% *}; uf=${unit#* }
ip=${integ% *}; ifl=${integ#* }
echo "unit: $up passed, $uf failed; integration: $ip passed, $ifl failed"
total_f=$((uf + ifl))
[ "$ip" -gt 0 ] || total_f=$((total_f + 1))   # an empty run is a failure
echo "$((up + ip)) passed, $total_f failed"
[ "$total_f" -eq 0 ]
