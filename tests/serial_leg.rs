//! The serial TTY leg on a real pseudo-terminal (socat): a word typed
//! after a space in figures, whose shift the decoder holds back until the
//! word ends, still reaches the relay when the typist stops, about a
//! second later, and nothing held is lost when the leg stops.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::pty::{Line, open_user};
use common::stt::temp_dir;
use relaygate::device;
use relaygate::legs::serial::{self, SerialEvent};
use tokio::sync::{mpsc, watch};

/// "ROOM 12 34" as a sender that keeps figures across a space sends it
/// (spandsp's V.18 modem): no FIGS before the 3.
const ROOM_12_34: [u8; 11] = [
    0x1F, 0x0A, 0x18, 0x18, 0x1C, 0x04, 0x1B, 0x17, 0x13, 0x04, 0x01,
];
/// The 4, typed after a pause.
const FOUR: u8 = 0x0A;

fn text_until(
    events: &mut mpsc::UnboundedReceiver<SerialEvent>,
    rt: &tokio::runtime::Runtime,
    want: &str,
    got: &mut String,
    limit: Duration,
) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    while !got.ends_with(want) {
        let left = deadline.checked_duration_since(Instant::now())?;
        match rt.block_on(tokio::time::timeout(left, events.recv())) {
            Ok(Some(SerialEvent::Text(t))) => got.push_str(&t),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
    Some(Instant::now())
}

#[test]
fn a_held_word_prints_once_the_typist_stops() {
    let dir = temp_dir("serial-leg");
    let _line = Line::plug(&dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // Timers are made outside `block_on`, so the runtime must be current.
    let _in_runtime = rt.enter();
    let profile = device::builtin("us-generic").expect("the default profile");
    let (_to_tty, to_tty_rx) = mpsc::unbounded_channel::<String>();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop, stop_rx) = watch::channel(false);
    let leg = rt.spawn(serial::run(
        dir.join("gw"),
        profile,
        to_tty_rx,
        events_tx,
        stop_rx,
    ));
    // Wait for the leg to open its end before typing.
    let mut got = String::new();
    let connected = rt.block_on(tokio::time::timeout(Duration::from_secs(5), events.recv()));
    assert!(
        matches!(connected, Ok(Some(SerialEvent::Connected { .. }))),
        "{connected:?}"
    );
    let mut user = open_user(&dir);
    user.write_all(&ROOM_12_34).expect("typing");
    let typed = Instant::now();
    text_until(
        &mut events,
        &rt,
        "ROOM 12 ",
        &mut got,
        Duration::from_secs(3),
    )
    .unwrap_or_else(|| panic!("the words before the held one did not arrive: {got:?}"));
    // "3" could begin a number or a word; with no more typing it prints
    // after the line has been quiet for a while, not never.
    let released = text_until(
        &mut events,
        &rt,
        "ROOM 12 3",
        &mut got,
        Duration::from_secs(4),
    )
    .unwrap_or_else(|| panic!("the held word never arrived: {got:?}"));
    let waited = released - typed;
    assert!(
        waited >= Duration::from_millis(800),
        "released after {waited:?}, before the typist could have gone on"
    );
    // The rest of the word, typed later, follows in the same shift.
    user.write_all(&[FOUR]).expect("typing");
    text_until(
        &mut events,
        &rt,
        "ROOM 12 34",
        &mut got,
        Duration::from_secs(4),
    )
    .unwrap_or_else(|| panic!("the last digit did not arrive: {got:?}"));
    // A word held when the leg stops is reported, not dropped.
    user.write_all(&[0x04, 0x16]).expect("typing"); // space, 0
    rt.block_on(tokio::time::sleep(Duration::from_millis(300)));
    let _ = stop.send(true);
    let pending = rt.block_on(leg).expect("the leg ends");
    assert!(pending.is_empty(), "nothing was queued for the TTY");
    text_until(
        &mut events,
        &rt,
        "ROOM 12 34 0",
        &mut got,
        Duration::from_secs(2),
    )
    .unwrap_or_else(|| panic!("the word held at the stop was lost: {got:?}"));
    let _ = std::fs::remove_dir_all(&dir);
}
