#!/usr/bin/env bash
# Real-browser test of the analysts' queue: Debian's headless Chromium logs
# in, filters the queue, opens an alert, assigns it and closes it, over the
# DevTools protocol (drive.py, Python standard library only).
#
#   Tests/browser/run.sh            # uses .build/debug/qianliyan
#   QIANLIYAN_BIN=path/to/qianliyan Tests/browser/run.sh
#
# Skips (exit 0) when chromium is not installed. Screenshots land in
# Tests/artifacts/browser/ (git-ignored). Starts its own throwaway
# PostgreSQL, replays the 12-village conformance sample into it, creates a
# lead of district 330521 and serves the queue on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null 2>&1; then
    echo "chromium is not installed: browser test skipped"
    exit 0
fi
BIN=$(realpath "${QIANLIYAN_BIN:-.build/debug/qianliyan}")
SAMPLE=Tests/Fixtures/conformance/sample-12v
[ -f "$SAMPLE/events.jsonl.gz" ] || SAMPLE=../shared/conformance/sample-12v
ART=${QIANLIYAN_ARTIFACTS:-Tests/artifacts/browser}
WORK=$(mktemp -d /tmp/qly-browser.XXXXXX)
chmod 755 "$WORK"
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
    "$BIN" db stop --data-dir "$WORK/pg" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" db start --data-dir "$WORK/pg" --no-fsync --no-tcp >"$WORK/db.log" 2>&1
URL=$("$BIN" db url --data-dir "$WORK/pg")
"$BIN" replay --database "$URL" --reference "$SAMPLE" "$SAMPLE/events.jsonl.gz" >"$WORK/replay.log" 2>&1
PASSWORD="browser-test-$RANDOM-$RANDOM"
echo "$PASSWORD" | "$BIN" users add wang --display-name "王分析" --role lead --district 330521 --password-stdin --database "$URL" >/dev/null
"$BIN" serve --database "$URL" --listen 127.0.0.1:0 --rules Rules >"$WORK/serve.log" 2>&1 &
SERVER=$!
BASE=""
for _ in $(seq 1 300); do
    BASE=$(sed -n 's|^serving the alert queue at \(http://[^/]*\)/queue.*|\1|p' "$WORK/serve.log" | head -1)
    [ -n "$BASE" ] && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
    sleep 0.1
done
[ -n "$BASE" ] || { echo "the server did not start"; cat "$WORK/serve.log"; exit 1; }
python3 "$(dirname "$0")/drive.py" "$BASE" wang "$PASSWORD" "$ART"
