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
# TABS=N (default 0: none) adds REPEAT (default 3) pairs of runs of N
# calls on a server with the operator console: one with no console
# open (A), one with N console tabs (B, benches/console_tabs.rs), each
# following one call with caption review on and sending every held
# caption back at once, corrected, as an operator pressing Send. The
# pairs alternate, A B, B A, A B, ..., so that a drift of the machine
# over the runs falls on both sides alike.
#   TABS=20 CALLS=1 STAGGER=0 benches/serve_calls.sh   (the console figures)
#
# The question is issue 13's goal: do 20 tabs on 20 live calls slow the
# calls (phrase-to-speech and caption delays within 10 % of the same
# calls without the console)? That needs all N calls live while the
# tabs follow them, and calls whose delays are the calls' own, not a
# queue's: with every agent speaking within a minute, 20 agents saturate
# whisper on 2 cores (caption p95 of 18 to 19 s with no tab at all), and
# the console's cost drowns in the queue's swings. So in these runs:
# - the calls are placed one every TABS_PLACE_MS (default 2500) ms, all
#   20 up within 50 s, and each stays up until the last agent has spoken
#   (the callers' holds come from an injection file,
#   tests/data/sipp/tty_caller_held.xml): all N calls are live together
#   for most of the run, and all hang up together at the end;
# - the agents speak one after another, agent i's speech starting
#   i * TABS_MS (default 10000) ms after the first's: each agent sends
#   silence for a lead from an injection file, then the same recording
#   as the other runs (13 s of silence, five sentences over 25 s;
#   tests/data/sipp/agent_speaks_later.xml). At 10 s apart two or three
#   agents speak at any moment, fewer than the 6-call staggered run,
#   whose captions keep up: the decoders are not saturated without the
#   console, and caption p95 should stay at a few seconds.
# A run of 20 calls takes (N - 1) * TABS_MS + about 60 s: 4.2 minutes at
# the defaults, 25 minutes for the 3 pairs.
#
# Each run reports its calls' caption p95 (mean over the calls and the
# worst call), phrase to speech (mean and worst call), and the server's
# CPU seconds (utime + stime of /proc/PID/stat at the end of the run,
# and the part from the first call on: sign-ins come before), the tabs'
# own CPU seconds, then medians over the runs of each kind with the
# range, the ratio of medians, the pairs' ratios and the spread of the
# no-tab runs (max - min over the median): the 10 % comparison means
# something only where that spread is well under 10 %. The tabs, at
# nice 19 as browsers on other machines would be, measure how long a
# committed caption took to appear in a tab and a "Send" to come back
# as sent.
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
tabs_ms=${TABS_MS:-10000}
place_ms=${TABS_PLACE_MS:-2500}
repeat=${REPEAT:-3}
console_port=28080
[ -f "$model" ] || { echo "no whisper model at $model (scripts/setup)" >&2; exit 1; }
if [ "$tabs" -gt 0 ] && { [ "$place_ms" -gt "$tabs_ms" ] || [ "$repeat" -lt 1 ]; }; then
    echo "TABS_PLACE_MS must be at most TABS_MS, and REPEAT at least 1" >&2
    exit 1
fi
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
# The SIPp side of a run (run() reads these): the folder SIPp runs in,
# its scenarios, extra arguments (injection files), its global timeout
# and how long the tabs stay.
media=$work caller_sf=caller.xml agent_sf=agent.xml
caller_args=() agent_args=()
sipp_timeout=200 tabs_seconds=240
if [ "$tabs" -gt 0 ]; then
    # The tabs' binary itself, not `cargo bench`: cargo's own start
    # would fall inside the run.
    tabs_bin=$(cargo bench --bench console_tabs --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "console_tabs" and m.get("executable"):
        print(m["executable"])')
    [ -x "$tabs_bin" ] || { echo "could not build benches/console_tabs.rs" >&2; exit 1; }
    # The console runs' media (see the header): calls placed every
    # place_ms, agent i's speech i * tabs_ms after the first's, every
    # call hung up at about end_ms after the first.
    held=$work/held
    mkdir "$held"
    end_ms=$(((tabs - 1) * tabs_ms + 50000))
    pad_s=$((end_ms / 1000 + 15))
    sox -q -D "$work/tones.wav" -r 8000 -c 1 -e u-law -b 8 "$held/tones.wav" pad 0 "$pad_s"
    sox -q -D "$work/agent.wav" -r 8000 -c 1 -e u-law -b 8 "$held/agent.wav" pad 0 "$pad_s"
    sox -q -D -n -r 8000 -c 1 -t ul "$held/quiet.ul" trim 0 1
    cp tests/data/sipp/tty_caller_held.xml tests/data/sipp/agent_speaks_later.xml "$held/"
    {
        echo SEQUENTIAL
        for i in $(seq 0 $((tabs - 1))); do echo $((end_ms - i * place_ms)); done
    } > "$held/holds.csv"
    {
        echo SEQUENTIAL
        for i in $(seq 0 $((tabs - 1))); do echo $((i * (tabs_ms - place_ms))); done
    } > "$held/leads.csv"
    for i in $(seq "$tabs"); do
        printf 'bench password\n' | "$rg" users add "bench$i" --role supervisor \
            --file "$work/users.toml" >/dev/null 2>&1
    done
    { cat "$work/relaygate.toml"; printf '[console]\nlisten = "127.0.0.1:%s"\nusers = "%s"\n' \
        "$console_port" "$work/users.toml"; } > "$work/console.toml"
fi

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
clk_tck=$(getconf CLK_TCK)
# cpu PID: the process's CPU seconds so far (utime + stime, fields 14
# and 15 of /proc/PID/stat; the command name before them is in
# parentheses).
cpu() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
    awk -v hz="$clk_tck" '{ printf "%.2f", ($12 + $13) / hz }'; }

# run NAME N RATE RATE_PERIOD_MS: one server, N calls; leaves
# $work/NAME.ended (the call ended lines), $work/NAME.mem (idle kB,
# peak kB) and $work/NAME.cpu (the server's CPU seconds: whole run,
# from the first call on).
run() {
    local name=$1 n=$2 rate=$3 period=$4 log=$work/$1.log pid agents sampler
    RELAYGATE_LOG=${SERVE_LOG:-info,rsipstack=warn,relaygate::stt::decoder_thread=debug,relaygate::call_runner=debug} "$rg" serve --config "$config" \
        --model "$model" 2> "$log" &
    pid=$!
    for _ in $(seq 300); do grep -q 'relaygate serving' "$log" && break; sleep 0.1; done
    grep -q 'relaygate serving' "$log" || { cat "$log" >&2; echo "serve did not start" >&2; exit 1; }
    sleep 2
    local idle tabs_pid= cpu_calls
    idle=$(rss "$pid")
    if [ "$tabs_now" -gt 0 ]; then
        # At the lowest priority: the tabs stand for browsers on the
        # operators' own machines, and must not take the server's CPU
        # (its caption decodes run at a lowered priority themselves).
        nice -n 19 "$tabs_bin" "127.0.0.1:$console_port" bench \
            "bench password" "$tabs_now" "$tabs_seconds" > "$work/$name.tabs" 2> "$work/$name.tabs.err" &
        tabs_pid=$!
        # Operators are signed in before the calls come.
        for _ in $(seq 600); do
            grep -q 'signed_in=' "$work/$name.tabs" 2>/dev/null && break
            kill -0 "$tabs_pid" 2>/dev/null || break
            sleep 0.1
        done
        grep -q 'signed_in=' "$work/$name.tabs" 2>/dev/null ||
            echo "$name: the tabs did not sign in" >&2
    fi
    (cd "$media" && exec sipp -sf "$agent_sf" "${agent_args[@]}" -p "$agent_port" -mp 44000 -m "$n" \
        -i 127.0.0.1 -mi 127.0.0.1 -nostdin -timeout "$sipp_timeout" >/dev/null 2>&1) &
    agents=$!
    sleep 0.5
    (while kill -0 "$pid" 2>/dev/null; do rss "$pid"; sleep 0.5; done) > "$work/$name.rss" &
    sampler=$!
    cpu_calls=$(cpu "$pid")
    (cd "$media" && sipp "127.0.0.1:$sip_port" -sf "$caller_sf" "${caller_args[@]}" -p "$caller_port" -mp 40000 \
        -m "$n" -l "$n" -r "$rate" -rp "$period" -i 127.0.0.1 -mi 127.0.0.1 -nostdin \
        -timeout "$sipp_timeout" >/dev/null 2>&1) || echo "$name: sipp callers exited with $?" >&2
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    for _ in $(seq 600); do
        [ "$(grep -c 'call ended' "$log")" -ge "$n" ] && break
        sleep 0.1
    done
    curl -s "http://127.0.0.1:$metrics_port/metrics" > "$work/$name.metrics" || true
    [ -n "$tabs_pid" ] && { wait "$tabs_pid" || echo "$name: console tabs exited with $?" >&2; }
    local cpu_end
    cpu_end=$(cpu "$pid")
    awk -v a="$cpu_end" -v b="$cpu_calls" 'BEGIN { printf "%.2f %.2f\n", a, a - b }' > "$work/$name.cpu"
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
    media=$held caller_sf=tty_caller_held.xml agent_sf=agent_speaks_later.xml
    caller_args=(-inf holds.csv) agent_args=(-inf leads.csv)
    sipp_timeout=$((end_ms / 1000 + 120)) tabs_seconds=$((end_ms / 1000 + 90))
    echo "console runs: $repeat pairs of $tabs calls, placed one every $place_ms ms, agents speaking one every $tabs_ms ms, all hung up about $((end_ms / 1000)) s after the first call (about $((2 * repeat * (end_ms / 1000 + 12) / 60)) minutes)" >&2
    for k in $(seq "$repeat"); do
        # A B, B A, A B, ...
        if [ $((k % 2)) -eq 1 ]; then order="c t"; else order="t c"; fi
        for kind in $order; do
            if [ "$kind" = t ]; then
                echo "pair $k: $tabs calls, $tabs console tabs following them" >&2
                tabs_now=$tabs
            else
                echo "pair $k: $tabs calls, console on, no tab open" >&2
            fi
            run "$kind${tabs}r$k" "$tabs" 1 "$place_ms"
            tabs_now=0
            console_runs+=("$kind${tabs}r$k")
        done
    done
fi

secs() { awk -v m="$1" 'BEGIN { print m / 1000 }'; }
calls_of() { case $1 in n*) echo "${1#n}" ;; s*) echo "${1#s}" ;; [ct]*) local x=${1#?}; echo "${x%r*}" ;; esac; }
label() { local x=${1#?}; case $1 in
    n*) echo "${1#n} at once" ;;
    s*) echo "${1#s}, one every $(secs "$stagger_ms") s" ;;
    c*) echo "${x%r*}, agents every $(secs "$tabs_ms") s, console, no tab (pair ${x#*r})" ;;
    t*) echo "${x%r*}, agents every $(secs "$tabs_ms") s, ${x%r*} console tabs (pair ${x#*r})" ;;
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
    echo
    echo "Console: $tabs calls placed one every $(secs "$place_ms") s, their agents speaking one every $(secs "$tabs_ms") s, all up until the last agent has spoken; without and with $tabs tabs following them (caption review on, every held caption sent back at once, corrected), $repeat pairs, alternating:"
    echo
    echo "| run | relayed | caption p95, mean over calls | caption p95, worst call | phrase to speech, mean | phrase to speech, worst call | commit to TTY, mean | chars lost | server CPU, whole run | server CPU, from the first call | tabs' CPU |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    : > "$work/console.tsv"
    for r in "${console_runs[@]}"; do
        f=$work/$r.ended
        read -r _ p95mean p95max < <(stats "$f" caption_delay_p95_ms)
        read -r _ pm pmax < <(stats "$f" phrase_to_speech_mean_ms)
        read -r _ tm _ < <(stats "$f" commit_to_tty_mean_ms)
        read -r cpu_all cpu_run < "$work/$r.cpu"
        tcpu=-
        [ -f "$work/$r.tabs" ] && tcpu="$(sed -n 's/^console_tabs cpu_s=//p' "$work/$r.tabs") s"
        echo "| $(label "$r") | $(relayed "$f") of $tabs | $p95mean ms | $p95max ms | $pm ms | $pmax ms | $tm ms | $(total "$f" chars_lost) | $cpu_all s | $cpu_run s | $tcpu |"
        x=${r#?}
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${r:0:1}" "${x#*r}" "$p95mean" "$p95max" "$pm" "$pmax" "$cpu_all" "$cpu_run" >> "$work/console.tsv"
    done
    echo
    python3 - "$work/console.tsv" "$tabs" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
tabs = sys.argv[2]
names = ["caption p95, mean over calls", "caption p95, worst call",
         "phrase to speech, mean over calls", "phrase to speech, worst call",
         "server CPU, whole run", "server CPU, from the first call"]
units = ["ms", "ms", "ms", "ms", "s", "s"]
def num(v):
    try:
        return float(v)
    except ValueError:
        return None
runs = {"c": {}, "t": {}}
for kind, pair, *vals in rows:
    runs[kind][pair] = [num(v) for v in vals]
def column(kind, i):
    return [v[i] for v in runs[kind].values() if v[i] is not None]
def fmt(x, unit):
    return "-" if x is None else (f"{x:.0f} {unit}" if unit == "ms" else f"{x:.1f} {unit}")
def ratio(a, b):
    return None if a is None or not b else a / b
def r2(x):
    return "-" if x is None else f"{x:.2f}"
n = max(len(runs["c"]), len(runs["t"]))
print(f"Over the {n} runs of each kind (median, and the range over the runs; with / without: ratio of the medians, ratio of the means, and the range of the {n} pairs' own ratios; spread: (max - min) / median of the no-tab runs):")
print()
print(f"| measure | no tab | {tabs} tabs | with / without, medians | with / without, means | pairs' ratios | spread without tabs |")
print("|---|---|---|---|---|---|---|")
summary = {}
for i, (name, unit) in enumerate(zip(names, units)):
    c, t = column("c", i), column("t", i)
    mc = statistics.median(c) if c else None
    mt = statistics.median(t) if t else None
    rm = ratio(mt, mc)
    rmean = ratio(statistics.mean(t) if t else None, statistics.mean(c) if c else None)
    pairs = [ratio(runs["t"][p][i], runs["c"][p][i]) for p in runs["c"] if p in runs["t"]]
    pairs = [x for x in pairs if x is not None]
    spread = (max(c) - min(c)) / mc if len(c) > 1 and mc else None
    summary[i] = rm
    def cell(v, m):
        return "-" if m is None else f"{fmt(m, unit)} ({fmt(min(v), unit)} to {fmt(max(v), unit)})"
    pr = f"{min(pairs):.2f} to {max(pairs):.2f}" if pairs else "-"
    sp = "-" if spread is None else f"{100 * spread:.0f} %"
    print(f"| {name} | {cell(c, mc)} | {cell(t, mt)} | {r2(rm)} | {r2(rmean)} | {pr} | {sp} |")
print()
print(f"with tabs x without: caption p95 {r2(summary[0])}, phrase to speech {r2(summary[2])} (goal: within 1.10; medians over the runs)")
print(f"with tabs x without, worst call: caption p95 {r2(summary[1])}, phrase to speech {r2(summary[3])}; server CPU {r2(summary[4])} (from the first call: {r2(summary[5])})")
PY
    echo
    echo "In the tabs (commit to arrival; Send to the caption coming back as sent), per run:"
    for r in "${console_runs[@]}"; do
        [ -f "$work/$r.tabs" ] || continue
        echo
        echo "  $(label "$r"):"
        sed 's/^console_tabs /    /' "$work/$r.tabs"
        [ -s "$work/$r.tabs.err" ] && sed 's/^/    tabs: /' "$work/$r.tabs.err"
    done
    echo
fi
echo "relaygate_characters_total{direction=\"lost\"}, summed over the runs' servers: $lost"
echo "bench wall time: $(($(date +%s) - bench_start)) s (reference idle RSS of the $(label "$one") run: $(mb "$ref_idle") MB)"
