//! Service hours per queue: when a queue's agents take calls, and what a
//! caller hears and may press when they do not.
//!
//! ```toml
//! [[queue]]
//! name = "billing"
//! time_zone = "Europe/Berlin"
//! hours = ["mon-fri 08:00-18:00", "sat 09:00-13:00"]
//! holidays = ["2026-12-25", "2026-12-26"]
//! closed_say = "Billing is closed. Our hours are 8 to 6, Monday to Friday."
//! closed_type = "BILLING CLOSED MON-FRI 8-18 GA"
//! closed_options = { "1" = "queue:technical" }
//! ```
//!
//! Hours are wall-clock times in the queue's zone: "08:00" means eight
//! on the clocks there, summer or winter, so the instant a queue opens
//! moves with daylight saving time. A range whose end is before its
//! start runs overnight ("fri 22:00-02:00" is Friday night into
//! Saturday). A holiday closes every moment whose date in the zone is
//! that day, including the early hours of an overnight range. No `hours`
//! means always open (holidays still close).
//!
//! Owns: reading and checking those keys, and answering "open at this
//! instant?" and "when does it next open?". Sans-IO: the instant is
//! always an argument. Must not touch: the system clock, calls, queues'
//! agents, or the menu's state (the menu plays the closed messages).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, Zoned};
use serde::Deserialize;
use toml::Spanned;

use super::menu_config::{Target, UNIVERSAL_KEYS, check_tty_text_or};

/// A check that failed: where in the file, the key, and why.
type Problem = (Option<Range<usize>>, String, String);

/// How far ahead [`ServiceHours::next_open`] looks: a little over a
/// year, so a yearly closure still finds the day after it.
const SEARCH_DAYS: u32 = 400;

/// Spoken when closed and the queue gives no `closed_say`.
pub const DEFAULT_CLOSED_SAY: &str =
    "We are closed right now. Please call again during our opening hours.";
/// Printed on a TTY when closed and the queue gives no `closed_type`.
pub const DEFAULT_CLOSED_TYPE: &str = "WE ARE CLOSED NOW. PLEASE CALL AGAIN IN OPEN HOURS GA";

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_MINUTES: u16 = 24 * 60;

/// The hours keys of one `[[queue]]`. Every field is optional.
///
/// `#[serde(flatten)]` loses toml's spans (`Spanned` then fails to
/// read), so a queue struct declares these fields itself and builds this
/// from them, or embeds it under its own table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HoursConfig {
    /// IANA name, "Region/City". Needed by `hours` and `holidays`.
    pub time_zone: Option<Spanned<String>>,
    /// Open ranges, "DAYS HH:MM-HH:MM"; absent means always open.
    pub hours: Option<Spanned<Vec<Spanned<String>>>>,
    /// Dates (YYYY-MM-DD, in the queue's zone) closed all day.
    pub holidays: Option<Spanned<Vec<Spanned<String>>>>,
    /// Spoken to a voice caller out of hours.
    pub closed_say: Option<Spanned<String>>,
    /// Printed on a TTY out of hours: short, upper case.
    pub closed_type: Option<Spanned<String>>,
    /// Key to target (as in a menu node's options) offered out of hours.
    pub closed_options: BTreeMap<String, Spanned<String>>,
}

/// One open range on some days of the week, in minutes after midnight.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    /// Monday first.
    days: [bool; 7],
    start: u16,
    /// `1..=1440`, after `start`; or before `start` for a range that
    /// runs overnight into the next day.
    end: u16,
}

impl Window {
    /// Whether minute `m` of weekday `wd` (Monday 0) is inside.
    fn contains(&self, wd: usize, m: u16) -> bool {
        if self.start < self.end {
            self.days[wd] && self.start <= m && m < self.end
        } else {
            (self.days[wd] && m >= self.start) || (self.days[(wd + 6) % 7] && m < self.end)
        }
    }
}

/// What a caller gets out of hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// Spoken to a voice caller.
    pub say: String,
    /// Printed on a TTY.
    pub tty: String,
    /// Keys the caller may press, with where each leads.
    pub options: Vec<(char, Target)>,
}

/// A queue's checked hours.
#[derive(Debug, Clone)]
pub struct ServiceHours {
    tz: TimeZone,
    /// Always open is one window, all week.
    windows: Vec<Window>,
    holidays: BTreeSet<Date>,
    closed: Closed,
}

impl HoursConfig {
    /// Checks the keys; `key_prefix` names the queue in messages, e.g.
    /// `queue[2]`. `HoursConfig::default()` compiles to always open.
    pub fn compile(&self, key_prefix: &str) -> Result<ServiceHours, Problem> {
        let key = |k: &str| format!("{key_prefix}.{k}");
        let fail = |span: Range<usize>, k: &str, why: String| (Some(span), key(k), why);
        let tz = match &self.time_zone {
            Some(name) => TimeZone::get(name.get_ref().trim()).map_err(|_| {
                let why = format!(
                    "{:?} is not a time zone: write its IANA name, \"Region/City\", e.g. \"Europe/Berlin\" or \"America/New_York\"",
                    name.get_ref()
                );
                fail(name.span(), "time_zone", why)
            })?,
            // Hours without a zone would silently mean UTC.
            None => match [("hours", &self.hours), ("holidays", &self.holidays)] {
                [(k, Some(list)), _] | [_, (k, Some(list))] => {
                    let why = format!(
                        "{} needs {}: the zone its times are in, e.g. time_zone = \"Europe/Berlin\"",
                        key(k),
                        key("time_zone")
                    );
                    return Err(fail(list.span(), k, why));
                }
                _ => TimeZone::UTC,
            },
        };
        let mut windows = Vec::new();
        match &self.hours {
            Some(list) if list.get_ref().is_empty() => {
                let why = "an empty list never opens: leave hours out for always open, or list the open hours";
                return Err(fail(list.span(), "hours", why.into()));
            }
            Some(list) => {
                for (i, text) in list.get_ref().iter().enumerate() {
                    let parsed = parse_hours(text.get_ref())
                        .map_err(|why| fail(text.span(), &format!("hours[{}]", i + 1), why))?;
                    windows.extend(parsed);
                }
            }
            None => windows.push(Window {
                days: [true; 7],
                start: 0,
                end: DAY_MINUTES,
            }),
        }
        let mut holidays = BTreeSet::new();
        for (i, text) in self
            .holidays
            .iter()
            .flat_map(|l| l.get_ref().iter())
            .enumerate()
        {
            let date = parse_date(text.get_ref())
                .map_err(|why| fail(text.span(), &format!("holidays[{}]", i + 1), why))?;
            holidays.insert(date);
        }
        let say = match &self.closed_say {
            Some(s) if s.get_ref().trim().is_empty() => {
                let why = "say what a voice caller hears out of hours, or leave closed_say out";
                return Err(fail(s.span(), "closed_say", why.into()));
            }
            Some(s) => s.get_ref().clone(),
            None => DEFAULT_CLOSED_SAY.into(),
        };
        let tty = match &self.closed_type {
            Some(t) => {
                check_tty_text_or(
                    t.get_ref(),
                    "type what a TTY prints out of hours, or leave closed_type out",
                )
                .map_err(|why| fail(t.span(), "closed_type", why))?;
                t.get_ref().clone()
            }
            None => DEFAULT_CLOSED_TYPE.into(),
        };
        let mut options = Vec::new();
        for (k, target) in &self.closed_options {
            let fail = |why| fail(target.span(), &format!("closed_options.{k:?}"), why);
            let digit = option_key(k).map_err(fail)?;
            options.push((digit, Target::parse(target.get_ref()).map_err(fail)?));
        }
        Ok(ServiceHours {
            tz,
            windows,
            holidays,
            closed: Closed { say, tty, options },
        })
    }

    /// Checks that `closed_options` lead to configured `queues` and
    /// menu `nodes` (kept apart from [`HoursConfig::compile`], which
    /// needs neither).
    pub fn check_targets(
        &self,
        key_prefix: &str,
        queues: &[&str],
        nodes: &[&str],
    ) -> Result<(), Problem> {
        for (k, target) in &self.closed_options {
            let okey = format!("{key_prefix}.closed_options.{k:?}");
            let why = match Target::parse(target.get_ref()) {
                Err(why) => why,
                Ok(Target::Queue(q)) if !queues.contains(&q.as_str()) => {
                    format!("no queue named {q:?} (queues: {})", queues.join(", "))
                }
                Ok(t) => match t.node() {
                    Some(id) if !nodes.contains(&id) => {
                        format!("no node with id {id:?} (nodes: {})", nodes.join(", "))
                    }
                    _ => continue,
                },
            };
            return Err((Some(target.span()), okey, why));
        }
        Ok(())
    }
}

impl ServiceHours {
    /// The queue's zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Whether the queue takes calls at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        let dt = self.tz.to_datetime(now);
        if self.holidays.contains(&dt.date()) {
            return false;
        }
        let wd = weekday(dt.date());
        let m = dt.hour() as u16 * 60 + dt.minute() as u16;
        self.windows.iter().any(|w| w.contains(wd, m))
    }

    /// The next moment, at or after `now`, the queue is open (`now`
    /// itself when open), in the queue's zone; `None` if it does not open
    /// within 400 days.
    pub fn next_open(&self, now: Timestamp) -> Option<Zoned> {
        if self.is_open(now) {
            return Some(now.to_zoned(self.tz.clone()));
        }
        // A closed queue opens when the wall clock reaches a range's
        // start, when a holiday ends at midnight, or when the clock jumps
        // (into a range, over a gap, or back through a fold). Those
        // moments are the candidates; the earliest open one wins.
        let mut transitions = self.tz.following(now).map(|t| t.timestamp()).peekable();
        let mut day = self.tz.to_datetime(now).date();
        let mut best: Option<Timestamp> = None;
        for _ in 0..=SEARCH_DAYS {
            let mut candidates = Vec::new();
            let wd = weekday(day);
            let starts = self
                .windows
                .iter()
                .filter(|w| w.days[wd])
                .map(|w| w.start)
                .chain([0]);
            for start in starts {
                let dt = day.at((start / 60) as i8, (start % 60) as i8, 0, 0);
                candidates.extend(self.instants(dt));
            }
            while let Some(t) = transitions.next_if(|t| self.tz.to_datetime(*t).date() <= day) {
                candidates.push(t);
            }
            let found = candidates
                .into_iter()
                .filter(|&t| t > now && self.is_open(t))
                .min();
            // A fold near midnight can put a candidate of the next day
            // before one of this day, so look one day past the first find.
            if let Some(b) = best {
                return Some(found.map_or(b, |f| f.min(b)).to_zoned(self.tz.clone()));
            }
            best = found;
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        best.map(|t| t.to_zoned(self.tz.clone()))
    }

    /// Every instant the wall clock shows `dt`: none in a gap (the
    /// transition is a candidate of its own), two in a fold.
    fn instants(&self, dt: DateTime) -> Vec<Timestamp> {
        let offsets = match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => vec![offset],
            AmbiguousOffset::Fold { before, after } => vec![before, after],
            AmbiguousOffset::Gap { .. } => Vec::new(),
        };
        offsets
            .into_iter()
            .filter_map(|o| o.to_timestamp(dt).ok())
            .collect()
    }

    /// What a caller gets out of hours: `closed_say` and `closed_type`
    /// (or their defaults) and `closed_options`.
    pub fn closed(&self) -> &Closed {
        &self.closed
    }
}

/// One keypad key that no menu keeps for itself.
fn option_key(k: &str) -> Result<char, String> {
    let mut chars = k.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if UNIVERSAL_KEYS.contains(&c) => Err(format!(
            "{k:?} is kept on every menu (* repeats, 9 goes back, 0 asks for a human): use another key"
        )),
        (Some(c), None) if c.is_ascii_digit() || c == '#' => Ok(c),
        _ => Err(format!(
            "{k:?} is not a key: use one keypad key, 1 to 8 or #"
        )),
    }
}

/// Monday 0 to Sunday 6.
fn weekday(d: Date) -> usize {
    d.weekday().to_monday_zero_offset() as usize
}

/// Reads "DAYS HH:MM-HH:MM[,HH:MM-HH:MM...]".
fn parse_hours(text: &str) -> Result<Vec<Window>, String> {
    let form = "write DAYS HH:MM-HH:MM, e.g. \"mon-fri 08:00-18:00\", \"sun 10:00-12:00\" or \"mon,wed 09:00-12:00\"";
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [days, times] = parts[..] else {
        return Err(format!("{text:?} is not an hours range: {form}"));
    };
    let days = parse_days(days).map_err(|why| format!("{text:?}: {why}"))?;
    let mut windows = Vec::new();
    for range in times.split(',') {
        let (start, end) = range
            .split_once('-')
            .ok_or_else(|| format!("{text:?}: {range:?} is not a time range: {form}"))?;
        let start = parse_time(start).map_err(|why| format!("{text:?}: {why}"))?;
        let end = parse_time(end).map_err(|why| format!("{text:?}: {why}"))?;
        if start == DAY_MINUTES {
            return Err(format!(
                "{text:?}: 24:00 ends a day; a range starting at midnight starts at 00:00"
            ));
        }
        if start == end {
            return Err(format!(
                "{text:?}: {range:?} opens and closes at the same minute; for all day write 00:00-24:00"
            ));
        }
        windows.push(Window { days, start, end });
    }
    Ok(windows)
}

/// Reads "mon-fri", "sun", "mon,wed", "sat-sun,tue"; a range may wrap
/// past Sunday ("fri-mon").
fn parse_days(text: &str) -> Result<[bool; 7], String> {
    let mut days = [false; 7];
    for item in text.split(',') {
        let (first, last) = match item.split_once('-') {
            Some((a, b)) => (parse_day(a)?, parse_day(b)?),
            None => {
                let d = parse_day(item)?;
                (d, d)
            }
        };
        let mut d = first;
        loop {
            days[d] = true;
            if d == last {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    Ok(days)
}

fn parse_day(text: &str) -> Result<usize, String> {
    let lower = text.to_ascii_lowercase();
    DAYS.iter()
        .position(|d| lower == *d)
        .ok_or_else(|| format!("{text:?} is not a day: write mon, tue, wed, thu, fri, sat or sun"))
}

/// Reads "HH:MM" as minutes after midnight; "24:00" is 1440.
fn parse_time(text: &str) -> Result<u16, String> {
    let bad = || format!("{text:?} is not a time: write HH:MM, 00:00 to 23:59, or 24:00 as an end");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, max_len| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let (Some(h), Some(m)) = (digits(h, 2), digits(m, 2).filter(|_| m.len() == 2)) else {
        return Err(bad());
    };
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn parse_date(text: &str) -> Result<Date, String> {
    let bad = |why: &str| format!("{text:?} is not a date{why}: write YYYY-MM-DD, e.g. 2026-12-25");
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(bad(""));
    }
    text.parse::<Date>()
        .map_err(|_| bad(" (no such day in the calendar)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> HoursConfig {
        toml::from_str(text).expect("parses")
    }

    fn hours(text: &str) -> ServiceHours {
        config(text).compile("queue[1]").expect("compiles")
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a timestamp")
    }

    /// The next opening as wall time and offset.
    fn next(h: &ServiceHours, now: &str) -> String {
        h.next_open(at(now))
            .expect("opens")
            .strftime("%F %R%:z")
            .to_string()
    }

    fn problem(text: &str) -> (String, String) {
        let (span, key, why) = config(text).compile("queue[1]").expect_err("refused");
        assert!(span.is_some(), "{key}: {why}");
        (key, why)
    }

    const BILLING: &str = r#"
time_zone = "Europe/Berlin"
hours = ["mon-fri 08:00-18:00", "sat 09:00-13:00"]
holidays = ["2026-12-25", "2026-12-26"]
closed_options = { "1" = "queue:technical" }
"#;

    #[test]
    fn open_at_the_opening_minute_and_closed_at_the_closing_one() {
        let h = hours(BILLING);
        // Monday 2026-06-01, CEST (+02).
        assert!(!h.is_open(at("2026-06-01T05:59:59Z")));
        assert!(h.is_open(at("2026-06-01T06:00:00Z")));
        assert!(h.is_open(at("2026-06-01T15:59:59Z")));
        assert!(!h.is_open(at("2026-06-01T16:00:00Z")));
        // Saturday morning only, Sunday not at all.
        assert!(h.is_open(at("2026-06-06T10:00:00Z")));
        assert!(!h.is_open(at("2026-06-06T11:00:00Z")));
        assert!(!h.is_open(at("2026-06-07T10:00:00Z")));
        // Friday 2026-12-25 is a holiday; Thursday before it is not.
        assert!(h.is_open(at("2026-12-24T10:00:00Z")));
        assert!(!h.is_open(at("2026-12-25T10:00:00Z")));
    }

    #[test]
    fn the_same_instant_is_open_in_one_zone_and_closed_in_another() {
        let berlin = hours(BILLING);
        let new_york = hours(&BILLING.replace("Europe/Berlin", "America/New_York"));
        let t = at("2026-06-01T07:00:00Z"); // 09:00 in Berlin, 03:00 in New York.
        assert!(berlin.is_open(t));
        assert!(!new_york.is_open(t));
        assert!(new_york.is_open(at("2026-06-01T12:00:00Z")));
    }

    #[test]
    fn next_open_skips_a_weekend_and_holidays() {
        let h = hours(BILLING);
        for (now, opens) in [
            // Friday evening to Saturday morning; Saturday afternoon to Monday.
            ("2026-06-05T17:00:00Z", "2026-06-06 09:00+02:00"),
            ("2026-06-06T12:00:00Z", "2026-06-08 08:00+02:00"),
            // Thursday 24 December evening: Friday and Saturday are holidays.
            ("2026-12-24T17:30:00Z", "2026-12-28 08:00+01:00"),
            // Open now: now.
            ("2026-06-01T08:00:00Z", "2026-06-01 10:00+02:00"),
        ] {
            assert_eq!(next(&h, now), opens, "{now}");
        }
    }

    #[test]
    fn always_open_closes_only_on_holidays_until_midnight() {
        let h = hours("time_zone = \"Europe/Berlin\"\nholidays = [\"2026-12-25\"]");
        assert!(h.is_open(at("2026-12-24T22:59:59Z")));
        assert!(!h.is_open(at("2026-12-24T23:00:00Z")));
        let opens = h.next_open(at("2026-12-25T12:00:00Z")).expect("opens");
        assert_eq!(
            opens.to_string(),
            "2026-12-26T00:00:00+01:00[Europe/Berlin]"
        );
        let none = hours("");
        assert!(none.is_open(at("2026-12-25T12:00:00Z")));
        assert_eq!(none.closed().say, DEFAULT_CLOSED_SAY);
        assert_eq!(none.closed().tty, DEFAULT_CLOSED_TYPE);
        assert!(check_tty_text_or(DEFAULT_CLOSED_TYPE, "empty").is_ok());
    }

    #[test]
    fn never_opening_gives_none() {
        let mut days = String::new();
        let mut d = Date::constant(2026, 1, 1);
        for _ in 0..=SEARCH_DAYS + 2 {
            days.push_str(&format!("\"{d}\","));
            d = d.tomorrow().expect("a date");
        }
        let h = hours(&format!("time_zone = \"UTC\"\nholidays = [{days}]"));
        assert_eq!(h.next_open(at("2026-01-01T00:00:00Z")), None);
    }

    #[test]
    fn hours_follow_the_wall_clock_over_daylight_saving_changes() {
        // New York springs forward on Sunday 2026-03-08: 08:00 on Friday
        // is 13:00Z, on Monday 12:00Z.
        let h = hours("time_zone = \"America/New_York\"\nhours = [\"mon-fri 08:00-18:00\"]");
        assert!(h.is_open(at("2026-03-06T13:00:00Z")));
        assert!(!h.is_open(at("2026-03-06T12:59:00Z")));
        assert!(h.is_open(at("2026-03-09T12:00:00Z")));
        assert!(!h.is_open(at("2026-03-09T11:59:00Z")));
        assert_eq!(next(&h, "2026-03-07T12:00:00Z"), "2026-03-09 08:00-04:00");
        // Berlin skips 02:00-03:00 on 2026-03-29: a range starting at
        // 02:30 opens when the clocks jump to 03:00 (01:00Z).
        let h = hours("time_zone = \"Europe/Berlin\"\nhours = [\"sun 02:30-04:00\"]");
        assert!(!h.is_open(at("2026-03-29T00:59:59Z")));
        assert!(h.is_open(at("2026-03-29T01:00:00Z")));
        assert_eq!(next(&h, "2026-03-29T00:00:00Z"), "2026-03-29 03:00+02:00");
        // New York repeats 01:00-02:00 on 2026-11-01: a range of
        // 01:00-01:30 opens twice, the second time as the clocks fall back.
        let h = hours("time_zone = \"America/New_York\"\nhours = [\"sun 01:00-01:30\"]");
        assert!(h.is_open(at("2026-11-01T05:10:00Z")));
        assert!(!h.is_open(at("2026-11-01T05:45:00Z")));
        assert_eq!(next(&h, "2026-11-01T05:45:00Z"), "2026-11-01 01:00-05:00");
    }

    #[test]
    fn days_lists_single_days_overnight_and_end_of_day() {
        let h = hours(
            r#"time_zone = "UTC"
hours = ["mon,wed 09:00-12:00", "sun 10:00-12:00,14:00-16:00", "fri 22:00-02:00", "tue 20:00-24:00"]"#,
        );
        // 2026-06-01 is a Monday.
        assert!(h.is_open(at("2026-06-01T09:00:00Z")));
        assert!(!h.is_open(at("2026-06-02T09:00:00Z")));
        assert!(h.is_open(at("2026-06-03T11:59:00Z")));
        assert!(h.is_open(at("2026-06-07T15:00:00Z")));
        assert!(!h.is_open(at("2026-06-07T13:00:00Z")));
        assert!(h.is_open(at("2026-06-02T23:59:59Z")));
        assert!(!h.is_open(at("2026-06-03T00:00:00Z")));
        assert!(!h.is_open(at("2026-06-05T21:59:00Z")));
        assert!(h.is_open(at("2026-06-05T22:00:00Z")));
        assert!(h.is_open(at("2026-06-06T01:59:00Z")));
        assert!(!h.is_open(at("2026-06-06T02:00:00Z")));
        let wrap = hours("time_zone = \"UTC\"\nhours = [\"Fri-Mon 00:00-24:00\"]");
        assert!(wrap.is_open(at("2026-06-07T12:00:00Z")));
        assert!(wrap.is_open(at("2026-06-08T12:00:00Z")));
        assert!(!wrap.is_open(at("2026-06-09T12:00:00Z")));
    }

    #[test]
    fn closed_messages_and_options() {
        let h = hours(&format!(
            "{BILLING}closed_say = \"Billing is closed.\"\nclosed_type = \"BILLING CLOSED MON-FRI 8-18 GA\""
        ));
        let c = h.closed();
        assert_eq!(c.say, "Billing is closed.");
        assert_eq!(c.tty, "BILLING CLOSED MON-FRI 8-18 GA");
        assert_eq!(c.options, vec![('1', Target::Queue("technical".into()))]);
        let cfg = config(BILLING);
        assert_eq!(
            cfg.check_targets("queue[1]", &["billing", "technical"], &[]),
            Ok(())
        );
        let (_, key, why) = cfg
            .check_targets("queue[1]", &["billing"], &[])
            .expect_err("refused");
        assert_eq!(key, "queue[1].closed_options.\"1\"");
        assert!(why.contains("no queue named \"technical\""), "{why}");
        let cfg = config(&BILLING.replace("queue:technical", "node:main"));
        assert!(cfg.check_targets("q", &[], &["main"]).is_ok());
        assert!(cfg.check_targets("q", &[], &["other"]).is_err());
    }

    #[test]
    fn every_config_error_is_explained() {
        // One case a line: the TOML, then the key and what the message says.
        let no_zone = "hours = [\"mon 08:00-09:00\"]|hours|needs queue[1].time_zone
holidays = [\"2026-12-25\"]|holidays|needs queue[1].time_zone
time_zone = \"UTC\"\\nhours = []|hours|never opens";
        let bad_hours = "mon-fri|not an hours range
mon-fri 08:00 18:00|not an hours range
mon-fri 08:00|not a time range
mo 08:00-18:00|\"mo\" is not a day
mon-fry 08:00-18:00|\"fry\" is not a day
mon 8-18|\"8\" is not a time
mon 08:60-18:00|\"08:60\" is not a time
mon 08:00-25:00|\"25:00\" is not a time
mon 08:00-24:30|\"24:30\" is not a time
mon 08:0-18:00|\"08:0\" is not a time
mon 24:00-02:00|24:00 ends a day
mon 08:00-08:00|same minute";
        let edits = "Europe/Berlin>Berlin|time_zone|\"Region/City\"
2026-12-26>2026-13-01|holidays[2]|no such day
2026-12-26>26.12.2026|holidays[2]|write YYYY-MM-DD
\"1\" =>\"0\" =|closed_options.\"0\"|kept on every menu
\"1\" =>\"12\" =|closed_options.\"12\"|not a key
queue:technical>technical|closed_options.\"1\"|not a target
>closed_type = \"Closed\"|closed_type|upper case
>closed_type = \"CLOSED @\"|closed_type|cannot be sent
>closed_say = \" \"|closed_say|leave closed_say out";
        let mut cases: Vec<(String, String, String)> = Vec::new();
        let split = |line: &str| {
            let v: Vec<String> = line.split('|').map(str::to_owned).collect();
            (v[0].clone(), v[1].clone(), v[2].clone())
        };
        for line in no_zone.lines() {
            cases.push(split(&line.replace("\\n", "\n")));
        }
        for line in bad_hours.lines() {
            let (bad, says, _) = split(&format!("{line}|"));
            let text = format!("time_zone = \"UTC\"\nhours = [{bad:?}]");
            cases.push((text, "hours[1]".into(), says));
        }
        for line in edits.lines() {
            let (edit, key, says) = split(line);
            let (from, to) = edit.split_once('>').expect("an edit");
            let text = match from {
                "" => format!("{BILLING}{to}"),
                _ => BILLING.replace(from, to),
            };
            cases.push((text, key, says));
        }
        assert_eq!(cases.len(), 24);
        for (text, key, says) in cases {
            let (got_key, why) = problem(&text);
            assert_eq!(got_key, format!("queue[1].{key}"), "{text}");
            assert!(why.contains(&says), "{text}: {why}");
        }
    }
}
