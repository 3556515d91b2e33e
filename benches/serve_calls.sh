#!/usr/bin/env bash
# `relaygate serve` with real SIP calls on loopback: how fast the agent is
# dialled, how long an agent's word takes to reach the caller's TTY, and
# what N calls at once cost in caption delay, phrase-to-speech delay and
# memory.
#
# SIPp places N TTY calls at once, within 20 ms (-r N -rp 20; over the
# default rate period of 1 s they would come 1/N s apart, about one
# phrase's synthesis apart), from tests/data/sipp/tty_caller.xml with its
# pause lengthened: each caller plays minimodem tones of one typed line,
# "HELLO THIS IS A TTY CALL GA", then stays on the line. relaygate detects
# the TTY and dials the agent queue, a SIPp agent that answers and, from
# its ACK, plays a recording in relaygate's own voice: silence while the
# greeting and the caller's line go by, then five short sentences 4 s
# apart (the TTY prints about 6 characters a second, so each sentence is
# printed before the next is committed: no backlog). All N agents speak
# at the same moments and all N callers' lines close together, the worst
# case for the shared speech worker and the whisper decoders. One more
# run places its calls one every 4.75 s instead (staggered), a spacing
# at which most later callers' lines close while a caption decode of an
# earlier call is running (decodes of one call take about 0.3 s each,
# 9 to 34 s after its line closes): the phrase-to-speech goal's "several
# calls decoding at once" without the lines closing on top of each
# other. The script reads from the servers' debug lines which lines
# closed with a decode running and prints their delays apart.
#
# Each run starts a fresh server. Figures come from the `call ended` log
# line of each call (detect_ms, dial_ms, caption_delay_*_ms,
# commit_to_tty_mean_ms, commit_to_tty_idle_mean_ms,
# phrase_to_speech_mean_ms, chars_*) and from the
# server's VmRSS, sampled every 0.5 s: idle after start, peak while the
# calls are up. Per-call figures are printed against the 1-call run of
# the same invocation. The end-to-end delay (agent word spoken to its
# first character on the TTY) is composed from the 1-call run: caption
# delay + commit to TTY + one character's air time (165 ms) + the 60 ms
# RTP playout. Its commit-to-TTY part counts only commits that found the
# TTY with nothing left to print (the goal is for a TTY without
# backlog): the piece of a sentence committed while the TTY still prints
# the piece before waits for it, at 6 characters a second against the
# agent's 15, and that wait is the backlog's.
#
#   benches/serve_calls.sh                        (needs scripts/setup first)
#   CALLS="1 2 4 6 8" benches/serve_calls.sh     (the figures in docs/benchmarks.md)
#   CALLS="1 2" STAGGER=0 benches/serve_calls.sh  (a quick look)
#   RELAYGATE=/path/to/relaygate MODEL=/path/to/ggml-base.bin benches/serve_calls.sh
#
# TABS=N (default 0: none) adds two runs of N calls, one every
# TABS_MS ms (default 2500, so that all N are live together), on a
# server with the operator console: the first with no console open,
# the second with N console tabs (benches/console_tabs.rs), each
# following one call with caption review on and sending every held
# caption back at once, corrected. It prints how long a committed
# caption took to appear in a tab and a "Send" to come back as sent,
# and the calls' figures of the second run against the first's.
#   TABS=20 CALLS=1 STAGGER=0 benches/serve_calls.sh   (the console figures)
#
# DECODERS sets `limits.caption_decoders` (default: the server's, one
# per core).
# CALLS (default "1 2 4 6"; docs/benchmarks.md has "1 2 4 6 8") are the
# call counts, 1 first; a run that collapses (a caption p95 over 10 s, or
# a call that did not end relayed) is the last. STAGGER (default 4; 0 for
# none) is the call count of the staggered run, STAGGER_MS (default
# 4750) its calls' spacing. About a minute per run:
# five minutes on the defaults, six with N = 8, in real time. Needs sipp
# (Debian sip-tester), minimodem, sox, curl and python3.
# Timings mean something only on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${RELAYGATE:-}" ]; then
    rg=$RELAYGATE
else
    cargo build --release --quiet
    rg=$PWD/target/release/relaygate
fi
model=${MODEL:-$HOME/.cache/relaygate/models/ggml-tiny.en.bin}
counts=${CALLS:-1 2 4 6}
stagger=${STAGGER:-6}
stagger_ms=${STAGGER_MS:-4750}
tabs=${TABS:-0}
tabs_ms=${TABS_MS:-2500}
console_port=28080
[ -f "$model" ] || { echo "no whisper model at $model (scripts/setup)" >&2; exit 1; }
for t in sipp minimodem sox curl; do
    command -v "$t" >/dev/null || { echo "$t is needed" >&2; exit 1; }
done
sip_port=25060 agent_port=25070 caller_port=25080 metrics_port=29464
work=$(mktemp -d)
# KEEP=1 keeps the temporary folder (server logs, SIPp scenarios);
# SERVE_LOG sets the servers' RELAYGATE_LOG (default info,rsipstack=warn).
trap 'kill $(jobs -p) 2>/dev/null || true; if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi' EXIT
bench_start=$(date +%s)

# The caller: 1 s of silence, one typed line (27 characters, 4.9 s), then
# silence, sent as RTP to the end (a line with no RTP for 30 s is taken
# for gone); SIPp hangs up 50 s after the tones start.
printf 'HELLO THIS IS A TTY CALL GA\n' |
    minimodem --tx tdd --stopbits 1.5 -R 8000 -f "$work/typed.wav"
sox -q -n -r 8000 -c 1 -b 16 "$work/lead.wav" trim 0 1
sox -q -D -G "$work/lead.wav" "$work/typed.wav" -r 8000 -c 1 -e u-law -b 8 "$work/tones.wav" pad 0 50
sed 's/<pause milliseconds="20000" \/>/<pause milliseconds="50000" \/>/' \
    tests/data/sipp/tty_caller.xml > "$work/caller.xml"
grep -q 'milliseconds="50000"' "$work/caller.xml"

# The agent: 13 s of silence (the agent greeting, the caller's line and
# its speech, the TTY greeting being printed), then five sentences of
# 23 to 27 characters (about 1.5 s spoken, 4 s printed), 4 s of silence
# after each, then 10 s more.
sentences=(
    "Hello, thanks for calling."
    "How can I help you today?"
    "Your order ships tomorrow."
    "Is there anything else?"
    "Thank you, have a good day."
)
sox -q -n -r 8000 -c 1 -b 16 "$work/quiet13.wav" trim 0 13
sox -q -n -r 8000 -c 1 -b 16 "$work/quiet4.wav" trim 0 4
sox -q -n -r 8000 -c 1 -b 16 "$work/quiet10.wav" trim 0 10
parts=("$work/quiet13.wav")
for i in "${!sentences[@]}"; do
    "$rg" tts say --output "$work/s$i.wav" "${sentences[$i]}" 2>/dev/null
    parts+=("$work/s$i.wav" "$work/quiet4.wav")
done
parts+=("$work/quiet10.wav")
sox -q -D -G "${parts[@]}" -r 8000 -c 1 -e u-law -b 8 "$work/agent.wav"
# agent_answers.xml, but with a media port of its own per call and the
# recording played from the ACK on.
sed -e 's/\[media_port\]/[auto_media_port]/' \
    -e 's|<recv request="ACK" />|<recv request="ACK" />\n  <nop><action><exec rtp_stream="agent.wav,1,0" /></action></nop>|' \
    tests/data/sipp/agent_answers.xml > "$work/agent.xml"
grep -q 'rtp_stream="agent.wav' "$work/agent.xml"

cat > "$work/relaygate.toml" <<EOF
[sip]
listen = "127.0.0.1:$sip_port"
rtp_ports = [36000, 36999]
[[queue]]
name = "support"
uri = "sip:gw@127.0.0.1:$agent_port"
[metrics]
listen = "127.0.0.1:$metrics_port"
[limits]
max_calls = 60
hangup_grace_seconds = 40
${DECODERS:+caption_decoders = $DECODERS}
[greetings]
agent = "Relay call."
EOF

config=$work/relaygate.toml
tabs_now=0
if [ "$tabs" -gt 0 ]; then
    cargo bench --quiet --bench console_tabs --no-run 2>/dev/null
    for i in $(seq "$tabs"); do
        printf 'bench password\n' | "$rg" users add "bench$i" --role supervisor \
            --file "$work/users.toml" >/dev/null 2>&1
    done
    { cat "$work/relaygate.toml"; printf '[console]\nlisten = "127.0.0.1:%s"\nusers = "%s"\n' \
        "$console_port" "$work/users.toml"; } > "$work/console.toml"
fi

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# run NAME N RATE RATE_PERIOD_MS: one server, N calls; leaves
# $work/NAME.ended (the call ended lines) and $work/NAME.mem (idle kB,
# peak kB).
run() {
    local name=$1 n=$2 rate=$3 period=$4 log=$work/$1.log pid agents sampler
    RELAYGATE_LOG=${SERVE_LOG:-info,rsipstack=warn,relaygate::stt::decoder_thread=debug,relaygate::call_runner=debug} "$rg" serve --config "$config" \
        --model "$model" 2> "$log" &
    pid=$!
    for _ in $(seq 300); do grep -q 'relaygate serving' "$log" && break; sleep 0.1; done
    grep -q 'relaygate serving' "$log" || { cat "$log" >&2; echo "serve did not start" >&2; exit 1; }
    sleep 2
    local idle tabs_pid=
    idle=$(rss "$pid")
    if [ "$tabs_now" -gt 0 ]; then
        # At the lowest priority: the tabs stand for browsers on the
        # operators' own machines, and must not take the server's CPU
        # (its caption decodes run at a lowered priority themselves).
        nice -n 19 cargo bench --quiet --bench console_tabs -- "127.0.0.1:$console_port" bench \
            "bench password" "$tabs_now" 240 > "$work/$name.tabs" 2> "$work/$name.tabs.err" &
        tabs_pid=$!
    fi
    (cd "$work" && exec sipp -sf agent.xml -p "$agent_port" -mp 44000 -m "$n" \
        -i 127.0.0.1 -mi 127.0.0.1 -nostdin -timeout 200 >/dev/null 2>&1) &
    agents=$!
    sleep 0.5
    (while kill -0 "$pid" 2>/dev/null; do rss "$pid"; sleep 0.5; done) > "$work/$name.rss" &
    sampler=$!
    (cd "$work" && sipp "127.0.0.1:$sip_port" -sf caller.xml -p "$caller_port" -mp 40000 \
        -m "$n" -l "$n" -r "$rate" -rp "$period" -i 127.0.0.1 -mi 127.0.0.1 -nostdin \
        -timeout 200 >/dev/null 2>&1) || echo "$name: sipp callers exited with $?" >&2
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    for _ in $(seq 600); do
        [ "$(grep -c 'call ended' "$log")" -ge "$n" ] && break
        sleep 0.1
    done
    curl -s "http://127.0.0.1:$metrics_port/metrics" > "$work/$name.metrics" || true
    [ -n "$tabs_pid" ] && { wait "$tabs_pid" || echo "$name: console tabs exited with $?" >&2; }
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kill "$agents" 2>/dev/null || true
    wait "$agents" 2>/dev/null || true
    grep 'call ended' "$log" > "$work/$name.ended" || true
    echo "$idle $(sort -n "$work/$name.rss" | tail -1)" > "$work/$name.mem"
}

# stats FILE KEY: "count mean max" of KEY=value over FILE's lines.
stats() {
    awk -v k="$2" '{
        for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) {
            v = substr($i, length(k) + 2); gsub(/"/, "", v)
            n++; s += v; if (n == 1 || v + 0 > m) m = v + 0
        }
    } END { if (n) printf "%d %.0f %.0f\n", n, s / n, m; else print "0 - -" }' "$1"
}
# total FILE KEY: the sum of KEY over FILE's lines.
total() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) s += substr($i, length(k) + 2) } END { print s + 0 }' "$1"; }
# relayed FILE: how many calls ended relayed.
relayed() { grep -c 'outcome="relayed"' "$1" || true; }

load=$(cut -d' ' -f1-3 /proc/loadavg)
runs=()
for n in $counts; do
    echo "running $n call(s) at once" >&2
    run "n$n" "$n" "$n" 20
    runs+=("n$n")
    read -r _ _ p95max < <(stats "$work/n$n.ended" caption_delay_p95_ms)
    if [ "$(relayed "$work/n$n.ended")" -lt "$n" ] || [ "$p95max" = - ] || [ "$p95max" -gt 10000 ]; then
        echo "$n calls collapsed; no larger runs" >&2
        break
    fi
done
if [ "$stagger" -gt 0 ]; then
    echo "running $stagger calls, one every $stagger_ms ms" >&2
    run "s$stagger" "$stagger" 1 "$stagger_ms"
    runs+=("s$stagger")
fi

console_runs=()
if [ "$tabs" -gt 0 ]; then
    config=$work/console.toml
    echo "running $tabs calls, one every $tabs_ms ms, console on, no tab open" >&2
    run "c$tabs" "$tabs" 1 "$tabs_ms"
    echo "running $tabs calls, one every $tabs_ms ms, $tabs console tabs following them" >&2
    tabs_now=$tabs
    run "t$tabs" "$tabs" 1 "$tabs_ms"
    tabs_now=0
    console_runs=("c$tabs" "t$tabs")
fi

calls_of() { case $1 in n*) echo "${1#n}" ;; [sct]*) echo "${1#?}" ;; esac; }
label() { case $1 in
    n*) echo "${1#n} at once" ;;
    s*) echo "${1#s}, one every $(awk -v m="$stagger_ms" 'BEGIN { print m / 1000 }') s" ;;
    c*) echo "${1#c}, one every $(awk -v m="$tabs_ms" 'BEGIN { print m / 1000 }') s, console, no tab" ;;
    t*) echo "${1#t}, one every $(awk -v m="$tabs_ms" 'BEGIN { print m / 1000 }') s, ${1#t} console tabs" ;;
    esac; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

echo "load average before the runs: $load"
echo
echo "Agent dialled after TTY detection (all calls of all runs):"
echo
all=$work/all.ended
for r in "${runs[@]}"; do cat "$work/$r.ended"; done > "$all"
read -r dn dmean dmax < <(stats "$all" dial_ms)
read -r _ tmean tmax < <(stats "$all" detect_ms)
echo "| measure | calls | mean | max | goal |"
echo "|---|---|---|---|---|"
echo "| detection to agent INVITE (dial_ms) | $dn | $dmean ms | $dmax ms | within 200 ms |"
echo "| first character to TTY detection (detect_ms) | $dn | $tmean ms | $tmax ms | within 2 s |"
echo

one=${runs[0]}
read -r _ cmean _ < <(stats "$work/$one.ended" caption_delay_mean_ms)
read -r _ cp95 _ < <(stats "$work/$one.ended" caption_delay_p95_ms)
read -r _ ttymean _ < <(stats "$work/$one.ended" commit_to_tty_mean_ms)
read -r _ ttyidle _ < <(stats "$work/$one.ended" commit_to_tty_idle_mean_ms)
echo "Agent word spoken to its first character on the TTY, $(calls_of "$one")-call run (composed):"
echo
echo "| part | mean |"
echo "|---|---|"
echo "| agent word end to its commit (caption_delay; p95 $cp95 ms) | $cmean ms |"
echo "| commit to its first character going to the TTY, commits that found it idle (commit_to_tty_idle; all commits, waits behind earlier text included: $ttymean ms) | $ttyidle ms |"
echo "| one character's air time, 45.45 baud | 165 ms |"
echo "| RTP playout | 60 ms |"
echo "| **total, no backlog** (goal: at most 2500 ms) | **$((cmean + ttyidle + 225)) ms** |"
echo

read -r _ ref_ps _ < <(stats "$work/$one.ended" phrase_to_speech_mean_ms)
read -r ref_idle ref_peak < "$work/$one.mem"
read -r _ _ ref_p95 < <(stats "$work/$one.ended" caption_delay_p95_ms)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }
echo "Per run (caption and phrase figures: mean over calls of each call's figure; \"worst call\": the largest; \"x 1 call\": against the first run):"
echo
echo "| calls | relayed | caption p95, worst call | x 1 call | caption p95, mean | caption mean | commit to TTY, mean: all / idle TTY | phrase to speech, mean | x 1 call | phrase to speech, worst call | chars typed / spoken / printed / lost |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for r in "${runs[@]}"; do
    f=$work/$r.ended
    read -r _ p95mean p95max < <(stats "$f" caption_delay_p95_ms)
    read -r _ cm _ < <(stats "$f" caption_delay_mean_ms)
    read -r _ tm _ < <(stats "$f" commit_to_tty_mean_ms)
    read -r _ ti _ < <(stats "$f" commit_to_tty_idle_mean_ms)
    read -r _ pm pmax < <(stats "$f" phrase_to_speech_mean_ms)
    echo "| $(label "$r") | $(relayed "$f") of $(calls_of "$r") | $p95max ms | $(ratio "$p95max" "$ref_p95") | $p95mean ms | $cm ms | $tm / $ti ms | $pm ms | $(ratio "$pm" "$ref_ps") | $pmax ms | $(total "$f" chars_typed) / $(total "$f" chars_spoken) / $(total "$f" chars_printed) / $(total "$f" chars_lost) |"
done
echo

echo "Memory of the serve process (VmRSS; idle: 2 s after start; peak: while the calls are up):"
echo
echo "| calls | idle | peak | peak - idle | per added call, (peak_N - peak_1) / (N - 1) |"
echo "|---|---|---|---|---|"
for r in "${runs[@]}"; do
    read -r idle peak < "$work/$r.mem"
    n=$(calls_of "$r")
    per=-
    [ "$n" -gt 1 ] && per="$(awk -v a="$peak" -v b="$ref_peak" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / 1024 / (n - 1) }') MB"
    echo "| $(label "$r") | $(mb "$idle") MB | $(mb "$peak") MB | $(mb $((peak - idle))) MB | $per |"
done
echo
lost=$(for r in "${runs[@]}" "${console_runs[@]}"; do cat "$work/$r.metrics"; done |
    awk '/^relaygate_characters_total\{direction="lost"\}/ { s += $2 } END { print s + 0 }')
if [ "$stagger" -gt 0 ]; then
    # Lines of the staggered run that closed (customer-turn) while a
    # decode was running ("decoded" lines carry its end and length).
    python3 - "$work/s$stagger.log" <<'PY'
import re, sys, datetime
def at(line):
    return datetime.datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")).timestamp()
decodes, closes, phrase = [], {}, {}
for line in open(sys.argv[1]):
    if "decoded job=" in line:
        end = at(line)
        decodes.append((end - float(re.search(r"decode_s=([0-9.]+)", line).group(1)), end))
    call = re.search(r"call_id=(\d+)", line)
    if call and "customer-turn" in line:
        closes.setdefault(call.group(1), at(line))
    if call and "call ended" in line:
        phrase[call.group(1)] = float(re.search(r"phrase_to_speech_mean_ms=([0-9.]+)", line).group(1))
busy = [c for c, t in closes.items() if c in phrase and any(s <= t + 0.1 and e >= t for s, e in decodes)]
ms = [phrase[c] for c in busy]
mean = f"{sum(ms) / len(ms):.0f} ms, worst {max(ms):.0f} ms" if ms else "-"
print(f"staggered run: {len(busy)} of {len(phrase)} lines closed with a caption decode running; their phrase to speech: mean {mean}")
PY
fi
if [ "$tabs" -gt 0 ]; then
    c=$work/c$tabs.ended t=$work/t$tabs.ended
    echo
    echo "Console: $tabs calls with and without $tabs tabs following them (caption review on, every held caption sent back at once, corrected):"
    echo
    echo "| run | relayed | caption p95, mean over calls | caption p95, worst call | phrase to speech, mean | phrase to speech, worst call | commit to TTY, mean | chars lost |"
    echo "|---|---|---|---|---|---|---|---|"
    for r in "${console_runs[@]}"; do
        f=$work/$r.ended
        read -r _ p95mean p95max < <(stats "$f" caption_delay_p95_ms)
        read -r _ pm pmax < <(stats "$f" phrase_to_speech_mean_ms)
        read -r _ tm _ < <(stats "$f" commit_to_tty_mean_ms)
        echo "| $(label "$r") | $(relayed "$f") of $tabs | $p95mean ms | $p95max ms | $pm ms | $pmax ms | $tm ms | $(total "$f" chars_lost) |"
    done
    read -r _ cp _ < <(stats "$c" caption_delay_p95_ms)
    read -r _ tp _ < <(stats "$t" caption_delay_p95_ms)
    read -r _ cs _ < <(stats "$c" phrase_to_speech_mean_ms)
    read -r _ ts _ < <(stats "$t" phrase_to_speech_mean_ms)
    echo
    echo "with tabs x without: caption p95 $(ratio "$tp" "$cp"), phrase to speech $(ratio "$ts" "$cs") (goal: within 1.10)"
    echo
    echo "In the tabs (commit to arrival; Send to the caption coming back as sent):"
    echo
    sed 's/^console_tabs /    /' "$work/t$tabs.tabs"
    [ -s "$work/t$tabs.tabs.err" ] && sed 's/^/    tabs: /' "$work/t$tabs.tabs.err"
fi
echo "relaygate_characters_total{direction=\"lost\"}, summed over the runs' servers: $lost"
echo "bench wall time: $(($(date +%s) - bench_start)) s (reference idle RSS of the $(label "$one") run: $(mb "$ref_idle") MB)"
