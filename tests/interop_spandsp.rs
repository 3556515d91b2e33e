//! Interop with libspandsp's V.18 Annex A modem, a TTY implementation
//! deployed in telephony servers: relaygate must read what it sends and
//! send what it reads, character for character.

mod common;

use common::peers::{
    MinimodemTx, NUMBERS_AFTER_SPACES, SPANDSP_RATE, assert_same_text, char_error_rate, dialogue,
    minimodem_rx, minimodem_tx, numbers_dialogue, relaygate_decode, relaygate_encode, spandsp_rx,
    spandsp_tx,
};

#[test]
fn decodes_spandsp_at_45_baud() {
    let text = dialogue();
    let audio = spandsp_tx(&text, false);
    let got = relaygate_decode(&audio, SPANDSP_RATE, &[]);
    assert_same_text("spandsp 45.45 baud -> relaygate", &text, &got);
}

#[test]
fn decodes_spandsp_at_50_baud() {
    let text = dialogue();
    let audio = spandsp_tx(&text, true);
    let got = relaygate_decode(&audio, SPANDSP_RATE, &[]);
    assert_same_text("spandsp 50 baud -> relaygate (auto baud)", &text, &got);
}

#[test]
fn spandsp_decodes_relaygate_at_45_baud() {
    let text = dialogue();
    let (audio, rate) = relaygate_encode(&text, &["--sample-rate", "8000"]);
    assert_eq!(rate, SPANDSP_RATE, "asked relaygate for 8 kHz");
    let got = spandsp_rx(&audio, false);
    assert_same_text("relaygate 45.45 baud -> spandsp", &text, &got);
}

#[test]
fn spandsp_decodes_relaygate_at_50_baud() {
    let text = dialogue();
    let (audio, rate) = relaygate_encode(&text, &["--sample-rate", "8000", "--baud", "50"]);
    assert_eq!(rate, SPANDSP_RATE, "asked relaygate for 8 kHz");
    let got = spandsp_rx(&audio, true);
    assert_same_text("relaygate 50 baud -> spandsp", &text, &got);
}

/// Guards the harness and the dialogue: if the reference peers disagree
/// on it, the relaygate tests above prove nothing.
#[test]
fn peers_agree_with_each_other() {
    let text = dialogue();
    let minimodem_45 = minimodem_tx(&text, &MinimodemTx::default());
    let minimodem_50 = minimodem_tx(
        &text,
        &MinimodemTx {
            baud: 50.0,
            stop_bits: 2.0,
            ..MinimodemTx::default()
        },
    );
    let spandsp_45 = spandsp_tx(&text, false);
    let spandsp_50 = spandsp_tx(&text, true);

    let cases = [
        (
            "minimodem -> minimodem",
            minimodem_rx(&minimodem_45, 8000, Some(1.5)),
        ),
        ("minimodem -> spandsp", spandsp_rx(&minimodem_45, false)),
        (
            "minimodem 50 -> spandsp 50",
            spandsp_rx(&minimodem_50, true),
        ),
        ("spandsp -> spandsp", spandsp_rx(&spandsp_45, false)),
        ("spandsp 50 -> spandsp 50", spandsp_rx(&spandsp_50, true)),
        (
            "spandsp -> minimodem",
            minimodem_rx(&spandsp_45, SPANDSP_RATE, None),
        ),
    ];
    for (what, got) in cases {
        assert_same_text(what, &text, &got);
    }
}

/// spandsp never sends FIGS after a space, so "12 34" arrives as FIGS 1 2
/// SPACE 3 4. With no option relaygate must get that right from the first
/// line of a call (before the habit shows) and over a whole call.
#[test]
fn decodes_spandsp_numbers_after_spaces_with_no_option() {
    for line in NUMBERS_AFTER_SPACES {
        let got = relaygate_decode(&spandsp_tx(line, false), SPANDSP_RATE, &[]);
        assert_same_text("spandsp -> relaygate, one line", line, &got);
    }
    let text = numbers_dialogue();
    for (baud50, what) in [(false, "45.45 baud"), (true, "50 baud")] {
        let got = relaygate_decode(&spandsp_tx(&text, baud50), SPANDSP_RATE, &[]);
        assert_same_text(&format!("spandsp {what} -> relaygate"), &text, &got);
    }
}

/// The explicit settings still rule: the right one decodes, the wrong one
/// reads digits after a space as letters.
#[test]
fn unshift_on_space_options_fix_the_habit() {
    let text = numbers_dialogue();
    let audio = spandsp_tx(&text, false);
    let right = relaygate_decode(&audio, SPANDSP_RATE, &["--no-unshift-on-space"]);
    assert_same_text("spandsp -> relaygate --no-unshift-on-space", &text, &right);
    let wrong = relaygate_decode(&audio, SPANDSP_RATE, &["--unshift-on-space"]);
    assert!(
        wrong.contains("IS 212 TTT PQRE GA"),
        "--unshift-on-space should read spandsp's digits as letters: {wrong}"
    );
}

/// Guards the text above: each reference peer misreads the other on it,
/// so it really holds both habits.
#[test]
fn peers_misread_each_other_on_numbers_after_spaces() {
    let text = numbers_dialogue();
    let from_spandsp = spandsp_tx(&text, false);
    let from_minimodem = minimodem_tx(&text, &MinimodemTx::default());
    for (what, got) in [
        (
            "spandsp -> minimodem",
            minimodem_rx(&from_spandsp, SPANDSP_RATE, None),
        ),
        ("minimodem -> spandsp", spandsp_rx(&from_minimodem, false)),
    ] {
        let cer = char_error_rate(&text, &got);
        assert!(
            cer > 0.02,
            "{what}: expected misreadings, got {cer:.3}: {got}"
        );
    }
}
