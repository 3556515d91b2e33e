mod common;
use common::modem::decode;
use common::peers::{self, MinimodemTx, char_error_rate};
use relaygate::modem::{BaudMode, channel};

#[test]
fn debug() {
    let text = peers::dialogue();
    for opts in [
        MinimodemTx {
            baud: 50.0,
            ..MinimodemTx::default()
        },
        MinimodemTx {
            mark: 1400.0 * 0.92,
            space: 1800.0 * 0.92,
            ..MinimodemTx::default()
        },
    ] {
        let mut b = vec![0i16; 4000];
        b.extend(peers::minimodem_tx(&text, &opts));
        b.extend(vec![0i16; 4000]);
        let base = channel::set_level_dbfs(&b, -16.0);
        let got = decode(&base, 8000, BaudMode::Auto);
        eprintln!("cer {:.3}\n{got}", char_error_rate(&text, &got));
    }
}
