//! `relaygate text`: what the agent hears, what a TTY prints.

use super::*;

#[derive(Debug, Subcommand)]
pub(super) enum TextCommand {
    /// Print the speakable form of TTY text (TEXT, or stdin).
    SpeakForm(TextArgs),
    /// Print what a Baudot TTY would receive for TEXT (or stdin).
    TtyForm(TtyFormArgs),
}

#[derive(Debug, Args)]
pub(super) struct TextArgs {
    /// The text; read from stdin when absent.
    pub(super) text: Option<String>,
}

#[derive(Debug, Args)]
pub(super) struct TtyFormArgs {
    /// The text; read from stdin when absent.
    pub(super) text: Option<String>,
    /// Character table of the receiving TTY.
    #[arg(long, value_enum, default_value_t = TableArg::Us)]
    pub(super) table: TableArg,
}

pub(super) fn tty_form(text: &str, table: Table) -> Result<()> {
    let tty = relaygate::text::tty_form::to_tty(text, table);
    for c in &tty.dropped {
        eprintln!(
            "relaygate: no TTY form for '{c}' (U+{:04X}); left out",
            u32::from(*c)
        );
    }
    // Through the real tables and shifts, as the far TTY would print it.
    let (codes, _) = Encoder::new(table).encode(&tty.text);
    let mut decoder = Decoder::new(table, true);
    let received: String = codes.iter().filter_map(|&c| decoder.push_code(c)).collect();
    println!("{}", received.trim_end_matches('\n'));
    Ok(())
}
