//! The console's users file: who may sign in, with which role, and the
//! Argon2id hash of their password.
//!
//! Owns the file's format (TOML, one `[[user]]` table each), its checks
//! (names, roles, that every hash is an Argon2id PHC string), hashing a
//! new password and verifying one at sign-in. Writing goes through a
//! temporary file and a rename, readable by the owner only, so a crash
//! never leaves half a file. Must not touch: sessions, HTTP, the
//! terminal (the CLI reads passwords), and never logs a password or a
//! hash.
//!
//! ```toml
//! [[user]]
//! name = "alice"
//! role = "operator"
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$..."
//! ```

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, parse_toml, read_text};

/// What a signed-in user may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Follows, corrects and takes over the calls assigned to them.
    Operator,
    /// Sees every call and may take any over; sees the operator queue.
    Supervisor,
    /// Manages users; has a supervisor's rights too.
    Admin,
}

impl Role {
    /// The role's name in the users file and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may see and take over any call, not only its
    /// own.
    pub fn sees_every_call(self) -> bool {
        self >= Role::Supervisor
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One console user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The sign-in name.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Argon2id PHC string of the password.
    pub password_hash: String,
}

impl User {
    /// What identifies the password without revealing it: the salt of its
    /// hash (PHC: `$argon2id$v=..$m=..,t=..,p=..$SALT$HASH`), new with
    /// every password set. Sessions keep it, so a new password ends the
    /// sessions signed in with the old one.
    pub fn credential(&self) -> &str {
        self.password_hash.rsplit('$').nth(1).unwrap_or("")
    }
}

// The hash stays out of debug output: it is as good as the password to
// an offline guesser.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The users file's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// In the order they were added.
    #[serde(default, rename = "user")]
    pub users: Vec<User>,
}

/// Whether [`Users::set`] added a user or changed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new user.
    Added,
    /// An existing user's role or password.
    Updated,
}

/// Why a user could not be added, or the users file used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsersError {
    /// The file is not a valid users file (file, line and key named).
    #[error(transparent)]
    File(#[from] ConfigError),
    /// The file could not be written.
    #[error("cannot write {}: {source}", .file.display())]
    Write {
        /// The users file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A name that cannot be a sign-in name.
    #[error(
        "'{0}' is not a user name: use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit"
    )]
    BadName(String),
    /// A password too short or too long.
    #[error("the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long")]
    BadPassword,
    /// Hashing failed (out of memory or no randomness).
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// The work on the file stopped before it finished (the server is
    /// stopping, or a bug).
    #[error("the change to the users file was interrupted")]
    Interrupted,
}

/// The shortest password accepted (NIST SP 800-63B's minimum).
pub const MIN_PASSWORD: usize = 8;
/// The longest: enough for any passphrase, short enough that hashing
/// a huge one cannot be used to load the server.
pub const MAX_PASSWORD: usize = 256;

impl Users {
    /// Parses and checks a users file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Users, UsersError> {
        let users: Users = parse_toml(text, file)?;
        let bad = |i: usize, key: &str, message: String| {
            UsersError::File(ConfigError {
                file: file.to_owned(),
                line: None,
                key: Some(format!("user[{}].{key}", i + 1)),
                message,
            })
        };
        for (i, u) in users.users.iter().enumerate() {
            if let Err(e) = check_name(&u.name) {
                return Err(bad(i, "name", e.to_string()));
            }
            if users.users[..i].iter().any(|o| o.name == u.name) {
                return Err(bad(i, "name", format!("'{}' is listed twice", u.name)));
            }
            match PasswordHash::new(&u.password_hash) {
                Ok(h) if h.algorithm.as_str() == "argon2id" => {}
                _ => {
                    return Err(bad(
                        i,
                        "password_hash",
                        "not an Argon2id hash: set the password with `relaygate users add`".into(),
                    ));
                }
            }
        }
        Ok(users)
    }

    /// Reads a users file.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let text = read_text(path)?;
        Users::parse(&text, path)
    }

    /// Reads a users file, or starts an empty one when there is none.
    pub fn load_or_new(path: &Path) -> Result<Users, UsersError> {
        if path.exists() {
            Users::load(path)
        } else {
            Ok(Users::default())
        }
    }

    /// The user called `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Adds `name`, or changes their role and password hash.
    pub fn set(&mut self, name: &str, role: Role, password_hash: String) -> Change {
        if let Some(u) = self.users.iter_mut().find(|u| u.name == name) {
            u.role = role;
            u.password_hash = password_hash;
            Change::Updated
        } else {
            self.users.push(User {
                name: name.to_owned(),
                role,
                password_hash,
            });
            Change::Added
        }
    }

    /// Changes `name`'s role; false if there is no such user.
    pub fn set_role(&mut self, name: &str, role: Role) -> bool {
        self.users
            .iter_mut()
            .find(|u| u.name == name)
            .map(|u| u.role = role)
            .is_some()
    }

    /// Changes `name`'s password hash; false if there is no such user.
    pub fn set_password_hash(&mut self, name: &str, password_hash: String) -> bool {
        self.users
            .iter_mut()
            .find(|u| u.name == name)
            .map(|u| u.password_hash = password_hash)
            .is_some()
    }

    /// Takes `name` out; false if there was no such user.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|u| u.name != name);
        self.users.len() < before
    }

    /// The file's text.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let body = toml::to_string(self)?;
        Ok(format!(
            "# relaygate console users, written by `relaygate users add`\n\
             # and the console's Users page.\n\
             # Passwords are stored as Argon2id hashes only.\n\n{body}"
        ))
    }

    /// Writes the file: to a temporary file beside it, readable by its
    /// owner only, then renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), UsersError> {
        let err = |source| UsersError::Write {
            file: path.to_owned(),
            source,
        };
        // Nothing is written unless the whole text could be made.
        let text = self.to_toml().map_err(|e| err(std::io::Error::other(e)))?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "users.toml".into());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&tmp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        Ok(())
    }

    /// The role of `name` if `password` is theirs. Slow on purpose
    /// (Argon2id): call it off the async runtime. An unknown name costs
    /// the same as a wrong password, so timing does not tell which
    /// names exist.
    pub fn verify(&self, name: &str, password: &str) -> Option<Role> {
        let user = self.get(name);
        let hash = user.map_or(dummy_hash(), |u| u.password_hash.as_str());
        let parsed = PasswordHash::new(hash).ok()?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        user.filter(|_| ok).map(|u| u.role)
    }
}

/// A hash of a password nobody has, with the default parameters, so a
/// sign-in for an unknown name does the same work as any other.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no user has this password").unwrap_or_default())
}

/// Checks a sign-in name.
pub fn check_name(name: &str) -> Result<(), UsersError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(UsersError::BadName(name.to_owned()))
    }
}

/// Hashes a new password with Argon2id at its default cost (19 MiB,
/// two passes: OWASP's minimum) and a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, UsersError> {
    let len = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&len) {
        return Err(UsersError::BadPassword);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Hash(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_and_a_wrong_one_or_an_unknown_name_does_not() {
        let mut users = Users::default();
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(users.set("alice", Role::Operator, hash), Change::Added);
        assert_eq!(users.verify("alice", "correct horse"), Some(Role::Operator));
        assert_eq!(users.verify("alice", "correct horsf"), None);
        assert_eq!(users.verify("bob", "correct horse"), None);
    }

    #[test]
    fn the_file_round_trips_and_setting_a_user_again_updates_them() {
        let mut users = Users::default();
        users.set(
            "alice",
            Role::Operator,
            hash_password("password one").expect("hash"),
        );
        users.set(
            "bob",
            Role::Admin,
            hash_password("password two").expect("hash"),
        );
        let change = users.set(
            "alice",
            Role::Supervisor,
            hash_password("password three").expect("hash"),
        );
        assert_eq!(change, Change::Updated);
        let text = users.to_toml().expect("serialises");
        let back = Users::parse(&text, Path::new("users.toml")).expect("parses");
        assert_eq!(back, users);
        assert_eq!(back.users.len(), 2);
        assert_eq!(
            back.verify("alice", "password three"),
            Some(Role::Supervisor)
        );
        assert_eq!(back.verify("alice", "password one"), None);
    }

    #[test]
    fn bad_files_name_the_line_or_the_key() {
        let file = Path::new("users.toml");
        let e = Users::parse(
            "[[user]]\nname = \"a\"\nrole = \"boss\"\npassword_hash = \"x\"\n",
            file,
        )
        .expect_err("unknown role");
        assert!(e.to_string().starts_with("users.toml:3"), "{e}");
        let e = Users::parse(
            "[[user]]\nname = \"a\"\nrole = \"admin\"\npassword_hash = \"plain\"\n",
            file,
        )
        .expect_err("not a hash");
        assert!(e.to_string().contains("user[1].password_hash"), "{e}");
        let e = Users::parse(
            "[[user]]\nname = \"a\"\nrole = \"admin\"\npassword = \"x\"\n",
            file,
        )
        .expect_err("unknown key");
        assert!(e.to_string().contains("users.toml:4"), "{e}");
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_name("op-1.night_shift").is_ok());
        for bad in ["", "-x", "a b", "é", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            hash_password("short"),
            Err(UsersError::BadPassword)
        ));
        assert!(matches!(
            hash_password(&"x".repeat(MAX_PASSWORD + 1)),
            Err(UsersError::BadPassword)
        ));
    }

    #[test]
    fn roles_passwords_and_users_change_only_for_names_that_exist() {
        let mut users = Users::default();
        users.set(
            "alice",
            Role::Operator,
            hash_password("password one").expect("hash"),
        );
        assert!(users.set_role("alice", Role::Supervisor));
        assert!(!users.set_role("zed", Role::Admin));
        let new = hash_password("password two").expect("hash");
        assert!(users.set_password_hash("alice", new));
        assert!(!users.set_password_hash("zed", String::new()));
        assert_eq!(
            users.verify("alice", "password two"),
            Some(Role::Supervisor)
        );
        assert!(!users.remove("zed"));
        assert!(users.remove("alice"));
        assert!(users.users.is_empty());
    }

    #[test]
    fn a_user_prints_without_the_hash() {
        let mut users = Users::default();
        users.set(
            "alice",
            Role::Operator,
            hash_password("correct horse").expect("hash"),
        );
        let shown = format!("{users:?}");
        assert!(!shown.contains("argon2"), "{shown}");
    }
}
