//! After the menu: the queue a caller goes to, and whether it is open.
//!
//! Owns the last decision before an agent is dialled: the route table
//! has its say over the queue the menu chose ([`super::route`]), the
//! queue's service hours are read at `now` ([`super::hours`]), and the
//! caller's choices become the value of the agent INVITE's route
//! header. Sans-IO: the clock is an argument, so a test fixes it. Must
//! not touch: menus, media, SIP.

use jiff::Timestamp;

use super::hours::{Closed, ServiceHours};
use super::menu::{Destination, Outcome};
use super::route::{Choices, RouteTable};
use crate::config::Config;

/// A check that failed: where, the key, and why.
pub type Problem = (Option<std::ops::Range<usize>>, String, String);

/// Where a caller goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Dial `queue`; `route` is the route header's value.
    Open {
        /// The queue's name.
        queue: String,
        /// What the agent's desktop shows of the caller's choices.
        route: String,
    },
    /// `queue` is closed: tell the caller, and offer what it offers.
    Closed {
        /// The queue's name.
        queue: String,
        /// What to say or print, and the keys offered.
        closed: Closed,
    },
}

/// The routes and every queue's hours.
#[derive(Debug, Clone)]
pub struct FrontDesk {
    routes: RouteTable,
    hours: Vec<(String, ServiceHours)>,
}

impl FrontDesk {
    /// A desk on checked `routes` and each queue's `hours` (by name); a
    /// queue without hours is always open.
    pub fn new(routes: RouteTable, hours: Vec<(String, ServiceHours)>) -> FrontDesk {
        FrontDesk { routes, hours }
    }

    /// The desk a configuration describes (`check` has passed it, so
    /// an error here is one it missed).
    pub fn from_config(config: &Config) -> Result<FrontDesk, Problem> {
        let names: Vec<&str> = config
            .queue
            .iter()
            .map(|q| q.name.get_ref().as_str())
            .collect();
        let routes = RouteTable::new(&config.route, &names)?;
        let mut hours = Vec::new();
        for (i, q) in config.queue.iter().enumerate() {
            let h = q.hours_config().compile(&format!("queue[{}]", i + 1))?;
            hours.push((q.name.get_ref().clone(), h));
        }
        Ok(FrontDesk::new(routes, hours))
    }

    /// Where the menu's `outcome` leads at `now`; `line_queue` serves a
    /// caller who asked for a human.
    pub fn decide(&self, outcome: &Outcome, line_queue: &str, now: Timestamp) -> Decision {
        let mut choices = Choices::new();
        for (name, value) in &outcome.choices {
            choices.set(name.as_str(), value.as_str());
        }
        let menu_queue = match &outcome.to {
            Destination::Queue(q) => Some(q.as_str()),
            Destination::Human => None,
        };
        let queue = self
            .routes
            .route(&choices, menu_queue)
            .unwrap_or_else(|| line_queue.to_owned());
        if outcome.to == Destination::Human {
            choices.set("human", "yes");
        }
        if outcome.slow {
            choices.set("slow", "yes");
        }
        match self.hours.iter().find(|(name, _)| *name == queue) {
            Some((_, hours)) if !hours.is_open(now) => Decision::Closed {
                closed: hours.closed().clone(),
                queue,
            },
            _ => Decision::Open {
                route: choices.header_value(&queue),
                queue,
            },
        }
    }
}
