//! `relaygate users`: add and list the operator console's users.
//!
//! The password comes from standard input: asked twice, without echo,
//! on a terminal; one line from a pipe (for scripts). It is never an
//! argument, where it would show in the process list and shell history.

use std::io::{self, BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use super::bad;
use relaygate::console::users::{self, Change, Role, Users};

#[derive(Debug, Subcommand)]
pub(super) enum UsersCommand {
    /// Add a user, or change an existing user's role and password. The
    /// password is read from standard input.
    Add(UsersAddArgs),
    /// List the users and their roles (never their password hashes).
    List {
        /// The users file.
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub(super) struct UsersAddArgs {
    /// The sign-in name.
    name: String,
    /// What they may do in the console.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// The users file (created when missing).
    #[arg(long)]
    file: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    /// Follows, corrects and takes over the calls assigned to them.
    Operator,
    /// Sees every call and may take any over.
    Supervisor,
    /// Manages users.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Operator => Role::Operator,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

pub(super) fn users(c: &UsersCommand) -> Result<()> {
    match c {
        UsersCommand::Add(a) => users_add(a),
        UsersCommand::List { file } => {
            let list = Users::load(file).map_err(|e| bad(e.to_string()))?;
            for u in &list.users {
                println!("{}\t{}", u.name, u.role);
            }
            Ok(())
        }
    }
}

fn users_add(a: &UsersAddArgs) -> Result<()> {
    users::check_name(&a.name).map_err(|e| bad(e.to_string()))?;
    // Read the file first: a bad file is reported before a password is
    // asked for.
    let mut list = Users::load_or_new(&a.file).map_err(|e| bad(e.to_string()))?;
    let password = read_password()?;
    let hash = users::hash_password(&password).map_err(|e| match e {
        users::UsersError::BadPassword => bad(e.to_string()),
        other => anyhow::anyhow!(other),
    })?;
    let change = list.set(&a.name, a.role.into(), hash);
    list.save(&a.file)?;
    let what = match change {
        Change::Added => "added",
        Change::Updated => "updated",
    };
    eprintln!(
        "{what} {} ({}) in {}",
        a.name,
        Role::from(a.role),
        a.file.display()
    );
    Ok(())
}

/// The new password: twice without echo on a terminal, one line from a
/// pipe.
fn read_password() -> Result<String> {
    if io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")
            .map_err(|e| bad(format!("cannot read the password: {e}")))?;
        let again = rpassword::prompt_password("Password again: ")
            .map_err(|e| bad(format!("cannot read the password: {e}")))?;
        if first != again {
            return Err(bad("the two passwords differ; nothing was changed"));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| bad(format!("cannot read the password from standard input: {e}")))?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        if password.is_empty() {
            return Err(bad(
                "no password on standard input: pipe one line, or run on a terminal to be asked",
            ));
        }
        Ok(password.to_owned())
    }
}
