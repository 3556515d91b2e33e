//! Who may do what to a live call: the console's rules, in one place.
//!
//! An operator sees and acts on the calls they handle (assigned to them,
//! or taken by opening a call nobody handled); a supervisor or an admin
//! sees any call and may act on any, taking it from its handler when
//! they take it over. Plain functions of the role, the user and the
//! call's handler: no I/O, no state, so every rule is tested here.

use super::users::Role;

/// What a user asks to do with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Follow its text.
    Open,
    /// Make another user its handler.
    Assign,
    /// Hand it back to nobody.
    Leave,
    /// Review captions, type, speak, take over or release.
    Act,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed as things are.
    Allow,
    /// Allowed, and the user becomes the call's handler.
    AllowAndClaim,
    /// Refused, with the reason the user is shown.
    Deny(String),
}

/// Decides whether `user`, with `role`, may do `action` to a call that
/// `handler` handles (none: nobody).
pub fn decide(role: Role, user: &str, handler: Option<&str>, action: Action) -> Decision {
    let mine = handler == Some(user);
    if role.sees_every_call() {
        return Decision::Allow;
    }
    match (action, handler) {
        (Action::Assign, _) => Decision::Deny("only a supervisor assigns calls".into()),
        (_, Some(h)) if !mine => Decision::Deny(format!("{h} handles this call")),
        (Action::Open, None) => Decision::AllowAndClaim,
        (Action::Leave | Action::Act, None) => {
            Decision::Deny("open the call first: nobody handles it".into())
        }
        _ => Decision::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_cannot_read_or_act_on_another_operators_call() {
        for action in [Action::Open, Action::Act, Action::Leave, Action::Assign] {
            assert!(
                matches!(
                    decide(Role::Operator, "bob", Some("alice"), action),
                    Decision::Deny(_)
                ),
                "{action:?}"
            );
        }
    }

    #[test]
    fn an_operator_takes_a_call_nobody_handles_by_opening_it() {
        assert_eq!(
            decide(Role::Operator, "bob", None, Action::Open),
            Decision::AllowAndClaim
        );
        assert!(matches!(
            decide(Role::Operator, "bob", None, Action::Act),
            Decision::Deny(_)
        ));
        for action in [Action::Open, Action::Act, Action::Leave] {
            assert_eq!(
                decide(Role::Operator, "bob", Some("bob"), action),
                Decision::Allow
            );
        }
        assert!(matches!(
            decide(Role::Operator, "bob", Some("bob"), Action::Assign),
            Decision::Deny(_)
        ));
    }

    #[test]
    fn supervisors_and_admins_may_do_anything_to_any_call() {
        for role in [Role::Supervisor, Role::Admin] {
            for action in [Action::Open, Action::Act, Action::Leave, Action::Assign] {
                for handler in [None, Some("alice")] {
                    assert_eq!(decide(role, "sam", handler, action), Decision::Allow);
                }
            }
        }
    }
}
