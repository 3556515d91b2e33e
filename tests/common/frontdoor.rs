//! The front door's contract menu (issue 14), as the front-door tests
//! configure it.

/// The contract's queues and menu: billing 1, technical support 2,
/// slower speech 3, with the queues at `billing` and `technical` (SIP
/// URIs).
pub fn contract_menu(billing: &str, technical: &str) -> String {
    format!(
        r#"
[[queue]]
name = "billing"
uri = "{billing}"
[[queue]]
name = "technical"
uri = "{technical}"

[menu]
start = "main"
[[menu.node]]
id = "main"
say = "For billing, press 1. For technical support, press 2. For slower speech, press 3."
type = "BILLING 1 TECH 2 GA"
options = {{ "1" = "queue:billing", "2" = "queue:technical", "3" = "slow:main" }}
"#
    )
}
