//! `relaygate users add|list`: the console's users file as an
//! administrator's script drives it (the password on a pipe).

mod common;

use std::fs;

use common::cli::{TempDir, output, relaygate};

fn add(file: &std::path::Path, name: &str, role: &str, password: &str) -> std::process::Output {
    output(
        relaygate()
            .args(["users", "add", name, "--role", role, "--file"])
            .arg(file),
        password.as_bytes(),
    )
}

fn list(file: &std::path::Path) -> std::process::Output {
    output(relaygate().args(["users", "list", "--file"]).arg(file), b"")
}

#[test]
fn users_are_added_updated_and_listed_without_their_passwords() {
    let dir = TempDir::new();
    let file = dir.join("users.toml");
    let out = add(&file, "alice", "operator", "correct horse battery\n");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = add(&file, "bob", "supervisor", "another long one\n");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = list(&file);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "alice\toperator\nbob\tsupervisor\n"
    );

    // Adding a name again changes its role and password, not the list.
    let before = fs::read_to_string(&file).expect("users file");
    let out = add(&file, "alice", "admin", "a new password\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("updated"));
    let after = fs::read_to_string(&file).expect("users file");
    assert_ne!(before, after);
    assert_eq!(
        String::from_utf8_lossy(&list(&file).stdout),
        "alice\tadmin\nbob\tsupervisor\n"
    );

    // Only hashes are stored.
    for secret in [
        "correct horse battery",
        "another long one",
        "a new password",
    ] {
        assert!(!after.contains(secret), "the file holds a password");
    }
    assert_eq!(after.matches("$argon2id$").count(), 2, "{after}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&file).expect("metadata").permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the users file is readable by others: {mode:o}"
        );
    }
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let dir = TempDir::new();
    let file = dir.join("users.toml");
    assert_eq!(
        add(&file, "alice", "operator", "correct horse battery\n")
            .status
            .code(),
        Some(0)
    );
    let kept = fs::read_to_string(&file).expect("users file");

    let cases: [(&str, &str, &str, &str); 4] = [
        ("carol", "operator", "short\n", "characters"),
        ("carol", "operator", "", "no password"),
        (
            "bad name",
            "operator",
            "correct horse battery\n",
            "not a user name",
        ),
        ("carol", "boss", "correct horse battery\n", "boss"),
    ];
    for (name, role, password, says) in cases {
        let out = add(&file, name, role, password);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} {role}: {err}");
        assert!(err.contains(says), "{name} {role}: {err}");
        assert_eq!(fs::read_to_string(&file).expect("users file"), kept);
    }

    // A broken file is named with its line, and is not overwritten.
    let broken = dir.join("broken.toml");
    fs::write(
        &broken,
        "[[user]]\nname = \"x\"\nrole = \"operator\"\npasword_hash = \"y\"\n",
    )
    .expect("write");
    let out = add(&broken, "carol", "operator", "correct horse battery\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("broken.toml:4"), "{err}");
    let out = list(&broken);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        fs::read_to_string(&broken)
            .expect("read")
            .contains("pasword_hash")
    );

    let out = list(&dir.join("missing.toml"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

/// On a terminal (`script` gives the command one) the password is asked
/// twice, and two that differ change nothing.
#[test]
fn on_a_terminal_the_password_is_asked_twice() {
    let dir = TempDir::new();
    let file = dir.join("users.toml");
    let run = |name: &str, typed: &str| {
        let command = format!(
            "{} users add {name} --role supervisor --file '{}'",
            env!("CARGO_BIN_EXE_relaygate"),
            file.display()
        );
        output(
            std::process::Command::new("script").args(["-qec", &command, "/dev/null"]),
            typed.as_bytes(),
        )
    };
    let out = run("carol", "a long enough password\na long enough password\n");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("Password again"), "asked twice: {said}");
    let listed = String::from_utf8_lossy(&list(&file).stdout).into_owned();
    assert!(listed.contains("carol\tsupervisor"), "{listed}");

    let out = run("dave", "a long enough password\nanother long password\n");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("differ"), "{said}");
    let listed = String::from_utf8_lossy(&list(&file).stdout).into_owned();
    assert!(!listed.contains("dave"), "{listed}");
}
