//! Interop with libspandsp's V.18 Annex A modem, a TTY implementation
//! deployed in telephony servers: relaygate must read what it sends and
//! send what it reads, character for character.

mod common;

use common::peers::{
    MinimodemTx, SPANDSP_RATE, assert_same_text, dialogue, minimodem_rx, minimodem_tx,
    relaygate_decode, relaygate_encode, spandsp_rx, spandsp_tx,
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
