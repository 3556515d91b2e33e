//! The users file as the running console sees it.
//!
//! Owns when the file is read again (whenever it changed on disk: an
//! admin's change in the console or `relaygate users add` on the server
//! take effect at the next request, without a restart), what happens when
//! a hand edit breaks it (the last good copy stays in use, with a
//! warning, so nobody is signed out mid-shift by a typo), and making the
//! console's own changes one at a time, each read fresh from the file and
//! saved whole. The file's format and rules are [`super::users`]'; this
//! module must not touch HTTP, sessions or passwords.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tracing::warn;

use super::users::{Role, Users, UsersError};

/// What says a file on disk changed: its modification time, length and
/// inode (a save renames a new file over the old one, so a change within
/// the clock's resolution still shows).
type Stamp = (Option<SystemTime>, u64, u64);

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Ok((meta.modified().ok(), meta.len(), inode))
}

#[derive(Debug)]
struct Cached {
    stamp: Option<Stamp>,
    users: Arc<Users>,
}

/// The console's handle on its users file; clones share one cache.
#[derive(Debug, Clone)]
pub struct Directory {
    path: PathBuf,
    cached: Arc<Mutex<Cached>>,
    edits: Arc<tokio::sync::Mutex<()>>,
}

impl Directory {
    /// Reads the file once: a missing or broken file is an error now,
    /// before anything is served.
    pub fn open(path: &Path) -> Result<Directory, UsersError> {
        let before = stamp(path).ok();
        let users = Users::load(path)?;
        Ok(Directory {
            path: path.to_owned(),
            cached: Arc::new(Mutex::new(Cached {
                stamp: before,
                users: Arc::new(users),
            })),
            edits: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The users as the file has them now, read again only if it changed.
    /// Blocking (a `stat`, and a read after a change): call it off the
    /// async runtime, as [`Directory::current`] does.
    pub fn current_blocking(&self) -> Arc<Users> {
        let now = stamp(&self.path).ok();
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if now.is_some() && now == cached.stamp {
            return cached.users.clone();
        }
        match Users::load(&self.path) {
            Ok(users) => {
                cached.users = Arc::new(users);
                cached.stamp = now;
            }
            Err(e) => {
                // Warn once per broken version of the file, not per request.
                if cached.stamp != now || now.is_none() {
                    warn!(error = %e, "the users file is unreadable: the last good copy stays in use");
                }
                cached.stamp = now;
            }
        }
        cached.users.clone()
    }

    /// The users as the file has them now.
    pub async fn current(&self) -> Arc<Users> {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || me.current_blocking()).await {
            Ok(users) => users,
            Err(_) => self
                .cached
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .users
                .clone(),
        }
    }

    /// `name`'s role now; `None` once they are no longer in the file.
    pub async fn role_of(&self, name: &str) -> Option<Role> {
        self.current().await.get(name).map(|u| u.role)
    }

    /// Changes the file with `change`, one change at a time: the file is
    /// read fresh (a broken file is refused, never overwritten), changed,
    /// and saved only if `change` succeeded.
    pub async fn edit<T, E>(
        &self,
        change: impl FnOnce(&mut Users) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<UsersError> + Send + 'static,
    {
        let _one_at_a_time = self.edits.lock().await;
        let me = self.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut users = Users::load(&me.path)?;
            let out = change(&mut users)?;
            users.save(&me.path)?;
            let mut cached = me.cached.lock().unwrap_or_else(|e| e.into_inner());
            cached.stamp = stamp(&me.path).ok();
            cached.users = Arc::new(users);
            Ok(out)
        })
        .await;
        done.unwrap_or_else(|_| Err(UsersError::Interrupted.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::users::hash_password;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "relaygate-directory-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    /// A fresh directory with a users file of one operator, alice.
    fn alice_only() -> (PathBuf, PathBuf, Users) {
        let d = dir();
        let path = d.join("users.toml");
        let mut users = Users::default();
        users.set(
            "alice",
            Role::Operator,
            hash_password("password one").expect("hash"),
        );
        users.save(&path).expect("save");
        (d, path, users)
    }

    #[tokio::test]
    async fn changes_on_disk_are_seen_and_a_broken_file_keeps_the_last_good_copy() {
        let (d, path, mut users) = alice_only();
        let directory = Directory::open(&path).expect("opens");
        assert_eq!(directory.role_of("alice").await, Some(Role::Operator));
        // Another program (`relaygate users add`) changes the file.
        users.set(
            "bob",
            Role::Admin,
            hash_password("password two").expect("hash"),
        );
        users.save(&path).expect("save");
        assert_eq!(directory.role_of("bob").await, Some(Role::Admin));
        std::fs::write(&path, "[[user]]\nname = 1\n").expect("break it");
        assert_eq!(directory.role_of("bob").await, Some(Role::Admin));
        // And a change through the console refuses to overwrite it.
        let edited: Result<(), UsersError> = directory.edit(|_| Ok(())).await;
        assert!(matches!(edited, Err(UsersError::File(_))), "{edited:?}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "[[user]]\nname = 1\n"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[tokio::test]
    async fn an_edit_is_saved_only_when_it_succeeds() {
        let (d, path, _) = alice_only();
        let directory = Directory::open(&path).expect("opens");
        let refused: Result<(), UsersError> = directory
            .edit(|u| {
                u.remove("alice");
                Err(UsersError::BadName("x".into()))
            })
            .await;
        assert!(refused.is_err());
        assert!(Users::load(&path).expect("load").get("alice").is_some());
        let removed: Result<bool, UsersError> = directory.edit(|u| Ok(u.remove("alice"))).await;
        assert!(removed.expect("saved"));
        assert!(Users::load(&path).expect("load").users.is_empty());
        assert_eq!(directory.role_of("alice").await, None);
        let _ = std::fs::remove_dir_all(&d);
    }
}
