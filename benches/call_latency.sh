#!/usr/bin/env bash
# Phrase closed on the TTY to first agent audio, through a real
# `relaygate call`: a software TTY on a socat pseudo-terminal pair types
# three phrases while the agent is silent, and the call summary reports
# the delay of each (`phrase_to_speech_idle_ms`: phrases that closed with
# nothing else playing to the agent). As a reference in the same run, the
# time `relaygate tts say` needs for the same phrases, start to finish
# (process start and voice load included), is printed beside it.
#
#   benches/call_latency.sh      (needs scripts/setup first)
set -euo pipefail
cd "$(dirname "$0")/.."
rg=$PWD/target/release/relaygate
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

sox -q -n -r 8000 -c 1 -b 16 "$work/silence.wav" trim 0 75
socat pty,raw,echo=0,link="$work/gateway" pty,raw,echo=0,link="$work/tty" 2>/dev/null &
for _ in $(seq 50); do [ -e "$work/tty" ] && [ -e "$work/gateway" ] && break; sleep 0.1; done
phrases=("MY CARD WAS CHARGED TWICE GA" "PLS SEND ME A LETTER ABT IT GA" "THX VERY MUCH SKSK")
{
    sleep 25   # the greeting plays first
    for p in "${phrases[@]}"; do echo "$p"; sleep 12; done
} | RELAYGATE_LOG=error "$rg" tty terminal --port "$work/tty" --linger 5 >/dev/null &
RELAYGATE_LOG=error "$rg" call --tty "$work/gateway" --agent-in "$work/silence.wav" \
    --agent-out "$work/heard.wav" --max-seconds 90 > "$work/summary.json"

start=$(date +%s.%N)
for p in "${phrases[@]}"; do "$rg" tts say --output "$work/say.wav" "$p"; done
end=$(date +%s.%N)
python3 - "$work/summary.json" "$start" "$end" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
d = s["phrase_to_speech_idle_ms"]
say = (float(sys.argv[3]) - float(sys.argv[2])) * 1000 / 3
print("| measure | phrases | mean | p95 | max |")
print("|---|---|---|---|---|")
print(f"| phrase closed to first agent audio, in a call | {d['count']} | {d['mean']:.0f} ms | {d['p95']:.0f} ms | {d['max']:.0f} ms |")
print(f"| reference: `relaygate tts say`, whole process, per phrase | 3 | {say:.0f} ms | | |")
print(f"\nratio call latency / tts say process: {d['mean'] / say:.3f}")
PY
