//! Interop with minimodem, a widely used software TTY modem: relaygate must
//! read what it sends and send what it reads, character for character.

mod common;

use common::peers::{
    MinimodemTx, NUMBERS_AFTER_SPACES, assert_same_text, dialogue, minimodem_rx, minimodem_tx,
    numbers_dialogue, relaygate_decode, relaygate_encode,
};

#[test]
fn decodes_minimodem_at_45_baud() {
    let text = dialogue();
    let audio = minimodem_tx(&text, &MinimodemTx::default());
    let got = relaygate_decode(&audio, 8000, &[]);
    assert_same_text("minimodem 45.45 baud -> relaygate", &text, &got);
}

#[test]
fn detects_and_decodes_minimodem_at_50_baud() {
    let text = dialogue();
    let opts = MinimodemTx {
        baud: 50.0,
        ..MinimodemTx::default()
    };
    let audio = minimodem_tx(&text, &opts);
    // No --baud: the default (auto) has to find 50 baud by itself.
    let got = relaygate_decode(&audio, 8000, &[]);
    assert_same_text("minimodem 50 baud -> relaygate (auto baud)", &text, &got);
}

#[test]
fn decodes_minimodem_with_two_stop_bits() {
    // Some TTYs and minimodem's own `tdd` mode frame with 2 stop bits.
    let text = dialogue();
    let opts = MinimodemTx {
        stop_bits: 2.0,
        ..MinimodemTx::default()
    };
    let audio = minimodem_tx(&text, &opts);
    let got = relaygate_decode(&audio, 8000, &[]);
    assert_same_text("minimodem 2 stop bits -> relaygate", &text, &got);
}

#[test]
fn minimodem_decodes_relaygate_with_1_5_stop_bits() {
    let text = dialogue();
    let (audio, rate) = relaygate_encode(&text, &[]);
    let got = minimodem_rx(&audio, rate, Some(1.5));
    assert_same_text(
        "relaygate -> minimodem --rx tdd --stopbits 1.5",
        &text,
        &got,
    );
}

#[test]
fn minimodem_tdd_defaults_decode_relaygate() {
    // minimodem's `tdd` mode expects 2 stop bits and drops characters from a
    // back-to-back 1.5 stop-bit stream; an encoder that only ever sends the
    // minimum framing would lose text on such receivers.
    let text = dialogue();
    let (audio, rate) = relaygate_encode(&text, &[]);
    let got = minimodem_rx(&audio, rate, None);
    assert_same_text("relaygate -> minimodem --rx tdd", &text, &got);
}

/// minimodem sends FIGS again after a space but never LTRS ("5 PM" is
/// FIGS 5 SPACE P M): with no option relaygate must read that right from
/// the first line of a call and over a whole call.
#[test]
fn decodes_minimodem_numbers_after_spaces_with_no_option() {
    for line in NUMBERS_AFTER_SPACES {
        let got = relaygate_decode(&minimodem_tx(line, &MinimodemTx::default()), 8000, &[]);
        assert_same_text("minimodem -> relaygate, one line", line, &got);
    }
    let text = numbers_dialogue();
    for baud in [45.45, 50.0] {
        let opts = MinimodemTx {
            baud,
            ..MinimodemTx::default()
        };
        let got = relaygate_decode(&minimodem_tx(&text, &opts), 8000, &[]);
        assert_same_text(&format!("minimodem {baud} baud -> relaygate"), &text, &got);
    }
    let got = relaygate_decode(
        &minimodem_tx(&text, &MinimodemTx::default()),
        8000,
        &["--unshift-on-space"],
    );
    assert_same_text("minimodem -> relaygate --unshift-on-space", &text, &got);
}
