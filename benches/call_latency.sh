#!/usr/bin/env bash
# Phrase closed on the TTY to first agent audio, through a real
# `relaygate call`, with whisper decoding the agent's voice beside the
# speech engine part of the time.
#
# A software TTY on a socat pseudo-terminal pair types 12 phrases, short
# and long, one every 9 s, then hangs up. The agent (a recording in
# relaygate's own voice, made first) talks for two stretches of about
# 30 s with silence after each, so some phrases close while whisper is
# decoding the agent and some while it is quiet.
#
# The call summary gives, for phrases that closed with nothing else
# playing to the agent (`phrase_to_speech_idle_ms`: the speech path's own
# delay, from the phrase closing on the TTY to the first sample of its
# speech on the agent leg's timeline), the figures split by whether a
# whisper decode ran between the two (`phrase_to_speech_decoding_ms`) or
# not (`phrase_to_speech_quiet_ms`), and the live-caption delay of the
# same call (`word_to_commit_ms`: end of an agent word to its commit). As
# a reference, the time `relaygate tts say` needs for one phrase, start
# to finish (process start and voice load included), is printed beside
# it.
#
#   benches/call_latency.sh                       (needs scripts/setup first)
#   RELAYGATE=/path/to/relaygate benches/call_latency.sh   (another build)
#
# About three minutes, in real time. Timings mean something only on an
# otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${RELAYGATE:-}" ]; then
    rg=$RELAYGATE
else
    cargo build --release --quiet
    rg=$PWD/target/release/relaygate
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# The agent: from 20 s (after the greeting), two stretches of about 30 s
# of speech (answers in relaygate's neural voice, 0.6 s apart, so whisper
# keeps one window growing and decodes most of the time), each followed
# by about 30 s of silence.
answers=(
    "Sure, let me look at your account. I can see the two charges from March, and I have refunded the second one."
    "It will show on your statement within five days, and we will send you a letter about it by mail."
    "Your card is fine to use. I have also taken off the late fee, so there is nothing else you need to do."
)
for i in "${!answers[@]}"; do
    "$rg" tts say --voice standard --output "$work/answer$i.wav" "${answers[$i]}" 2>/dev/null
done
silence() { sox -q -n -r 8000 -c 1 -b 16 "$work/$1.wav" trim 0 "$2"; }
silence lead 20
silence gap 0.6
silence pause 30
silence tail 40
parts=("$work/lead.wav")
i=0
for _stretch in 1 2; do
    total=0
    while [ "$total" -lt 28 ]; do
        a=$work/answer$((i % ${#answers[@]})).wav
        parts+=("$a" "$work/gap.wav")
        total=$((total + $(soxi -D "$a" | cut -d. -f1)))
        i=$((i + 1))
    done
    parts+=("$work/pause.wav")
done
parts+=("$work/tail.wav")
sox -q "${parts[@]}" "$work/agent-in.wav"

socat pty,raw,echo=0,link="$work/gateway" pty,raw,echo=0,link="$work/tty" 2>/dev/null &
for _ in $(seq 50); do [ -e "$work/tty" ] && [ -e "$work/gateway" ] && break; sleep 0.1; done
# Phrases as TTY users type them, half short and half long (TTY users
# seldom type commas, so a long one is a single clause), of letters only
# (a word with figures may be held back by the serial leg to decide its
# shift). Each is typed in under 9 s and closed by its line end.
phrases=(
    "PLS CHECK MY BILL"
    "I WAS CHARGED TWICE FOR THE SAME ORDER LAST WEEK"
    "OK THAT IS FINE"
    "HI I NEED A NEW CARD CUZ MY OLD ONE WAS STOLEN"
    "CAN I PAY ONLINE NOW"
    "MY INTERNET HAS BEEN DOWN SINCE YESTERDAY MORNING"
    "WHAT ABOUT THE LATE FEE"
    "I AM USING A TEXT PHONE SO PLS BE PATIENT WITH ME"
    "HOW LONG WILL THAT TAKE"
    "THE PACKAGE NEVER ARRIVED AT MY HOUSE LAST FRIDAY"
    "PLS SEND IT BY MAIL"
    "I WOULD LIKE TO CHANGE MY MAILING ADDRESS TOO"
    "THANK YOU FOR YOUR HELP"
)
{
    sleep 18   # the agent's greeting (14 s) plays first
    for p in "${phrases[@]}"; do echo "$p"; sleep 9; done
    echo "BYE SKSK"
} | RELAYGATE_LOG=error "$rg" tty terminal --port "$work/tty" --linger 5 >/dev/null &
load=$(cut -d' ' -f1-3 /proc/loadavg)
# A call that loses characters exits non-zero; its summary still counts.
RELAYGATE_LOG=error "$rg" call --tty "$work/gateway" --agent-in "$work/agent-in.wav" \
    --agent-out "$work/heard.wav" --max-seconds 200 > "$work/summary.json" || true
[ -s "$work/summary.json" ] || { echo "the call gave no summary" >&2; exit 1; }

start=$(date +%s.%N)
for p in "${phrases[@]:0:3}"; do "$rg" tts say --output "$work/say.wav" "$p"; done
end=$(date +%s.%N)
python3 - "$work/summary.json" "$start" "$end" "$load" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
say = (float(sys.argv[3]) - float(sys.argv[2])) * 1000 / 3
def row(name, d):
    if d["count"] == 0:
        return f"| {name} | 0 | | | |"
    return f"| {name} | {d['count']} | {d['mean']:.0f} ms | {d['p95']:.0f} ms | {d['max']:.0f} ms |"
print(f"load average before the call: {sys.argv[4]}\n")
print("| measure | count | mean | p95 | max |")
print("|---|---|---|---|---|")
print(row("phrase closed to first agent audio, nothing else playing", s["phrase_to_speech_idle_ms"]))
print(row("  of which whisper decoding meanwhile", s["phrase_to_speech_decoding_ms"]))
print(row("  of which whisper quiet", s["phrase_to_speech_quiet_ms"]))
print(row("live captions: agent word end to commit (words)", s["word_to_commit_ms"]))
print(f"| reference: `relaygate tts say`, whole process, per phrase | 3 | {say:.0f} ms | | |")
print(f"\nspeech_gap_ms {s['speech_gap_ms']}, all phrases (queueing included): "
      f"{s['phrase_to_speech_ms']['count']} phrases, mean {s['phrase_to_speech_ms']['mean']:.0f} ms; "
      f"ended by {s['ended_by']} after {s['duration_seconds']:.0f} s, {s['chars_lost']} characters lost")
PY
