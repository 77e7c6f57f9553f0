#!/usr/bin/env bash
# The date-sensitive tests under a moved clock (libfaketime, Debian package `faketime`): the
# seven days from --start (default today), a month end, the year end and both Europe/Berlin DST
# changes that come next. One line per date, PASS or FAIL with the failing tests; exit 1 if any
# date fails. About 2–3 minutes a date on two idle cores. See DEVELOPERS.md, "Any date".
#
#   scripts/check-calendar.sh [--start YYYY-MM-DD] [--only LABEL] [test files…]
set -uo pipefail
cd "$(dirname "$0")/.."

start=$(date -u +%F)
only=""
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --start) start="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1 (--help for usage)" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
# Tests that read the real clock (the demo month, the CLIs, a server) and those about days, lock
# periods and payouts, where a date boundary would show. Node only: workerd deadlocks at start
# with libfaketime preloaded (even `workerd --version`), so test/workers cannot run here.
if [ ${#files[@]} -eq 0 ]; then
  files=(
    test/integration/seed-demo.test.ts
    test/browser/dashboards.test.ts
    test/integration/cli.test.ts
    test/integration/payouts.test.ts
    test/integration/commissions.test.ts
    test/integration/report-days.test.ts
  )
fi

lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1)
if [ -z "$lib" ]; then
  echo "libfaketime is missing: apt-get install -y faketime" >&2
  exit 2
fi
mkdir -p .tmp/calendar
shim=.tmp/calendar/real-condwait.so
cc -O2 -shared -fPIC -o "$shim" scripts/calendar/real-condwait.c -ldl || exit 2

# label <TAB> instant (UTC). The switches and midnights fall two minutes into the run.
dates=$(START="$start" node -e '
  const start = new Date(`${process.env.START}T12:00:00Z`);
  if (Number.isNaN(start.getTime())) { console.error("--start: not a date"); process.exit(2); }
  const y = start.getUTCFullYear(), m = start.getUTCMonth();
  const at = (year, month, day, h, min) => new Date(Date.UTC(year, month, day, h, min));
  const lastSunday = (year, month) => { const d = at(year, month + 1, 0, 0, 58); d.setUTCDate(d.getUTCDate() - d.getUTCDay()); return d; };
  const next = (f) => { const d = f(y); return d.getTime() >= start.getTime() - 86400000 ? d : f(y + 1); };
  const rows = [];
  for (let i = 0; i < 7; i++) rows.push([`day-${i + 1}`, new Date(start.getTime() + i * 86400000)]);
  // The end of the next month that is not December (the year end below covers that one).
  const month = (m + 1) % 12 === 11 ? m + 2 : m + 1;
  rows.push(["month-end", at(y, month + 1, 0, 23, 58)]);
  rows.push(["year-end", at(y, 11, 31, 23, 58)]);
  rows.push(["dst-spring", next((year) => lastSunday(year, 2))]); // 01:00 UTC: 02:00 CET → 03:00 CEST
  rows.push(["dst-autumn", next((year) => lastSunday(year, 9))]); // 01:00 UTC: 03:00 CEST → 02:00 CET
  for (const [label, d] of rows) console.log(`${label}\t${d.toISOString().slice(0, 19)}Z`);
') || exit 2

export TZ=Europe/Berlin CI=true WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
passed_dates=0
failed_dates=0
while IFS=$'\t' read -r label instant; do
  [ -n "$only" ] && [ "$only" != "$label" ] && continue
  epoch=$(date -u -d "$instant" +%s)
  # "@" starts the clock at that instant and lets it run; %s reads it as seconds since the epoch,
  # so no local time is ambiguous in the hour the clocks go back. FAKETIME_DONT_RESET: the
  # processes a test starts (the server, a CLI) read the same running clock, instead of each
  # starting again at the instant (a CLI run after the server's batch would be "earlier").
  faked=(env LD_PRELOAD="$PWD/$shim $lib" FAKETIME_FMT=%s FAKETIME="@$epoch" FAKETIME_DONT_RESET=1 FAKETIME_DONT_FAKE_MONOTONIC=1)
  seen=$("${faked[@]}" node -e 'console.log(Math.round(Date.now() / 1000))')
  local_time=$(date -d "@$epoch" '+%a %F %H:%M %Z')
  if [ $((seen - epoch)) -lt 0 ] || [ $((seen - epoch)) -gt 60 ]; then
    echo "FAIL  $label  $instant ($local_time): node saw $(date -u -d "@$seen" +%FT%TZ), the clock did not move"
    failed_dates=$((failed_dates + 1))
    continue
  fi
  json=".tmp/calendar/$label.json"
  rm -f "$json"
  began=$(date +%s)
  "${faked[@]}" npx vitest run --project node "${files[@]}" --reporter=default --reporter=json --outputFile.json="$json" > ".tmp/calendar/$label.log" 2>&1
  seconds=$(( $(date +%s) - began ))
  line=$(JSON="$json" node -e '
    const fs = require("fs");
    if (!fs.existsSync(process.env.JSON)) { console.log("FAIL\tvitest wrote no report"); process.exit(); }
    const r = JSON.parse(fs.readFileSync(process.env.JSON, "utf8"));
    const failed = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => a.fullName));
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).map((f) => f.name);
    const skipped = r.numPendingTests + r.numTodoTests;
    const ok = r.success && failed.length === 0 && broken.length === 0 && r.numPassedTests > 0;
    console.log(`${ok ? "PASS" : "FAIL"}\t${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}` +
      [...failed, ...broken].map((n) => `\n        ${n}`).join(""));
  ')
  verdict=${line%%$'\t'*}
  echo "$verdict  $label  $instant ($local_time): ${line#*$'\t'} in ${seconds} s"
  if [ "$verdict" = PASS ]; then passed_dates=$((passed_dates + 1)); else failed_dates=$((failed_dates + 1)); fi
done <<< "$dates"

echo "calendar: $passed_dates dates passed, $failed_dates failed (logs in .tmp/calendar/)"
[ "$failed_dates" -eq 0 ]
