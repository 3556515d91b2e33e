//! The admin's Users page: who may sign in to the console, and with
//! which role.
//!
//! Owns the page (`GET /users`, plain HTML forms that work without
//! script) and its four changes: add a user, change a role, set a
//! password, remove a user (after a confirmation page). Each is refused
//! unless the user is an admin *now* (the role comes from the users file
//! at every request), each is written to the users file through
//! [`Directory::edit`], the same file `relaygate users add` writes, and
//! each is logged as an event (who changed whom, to which role), never
//! with a password. An admin cannot change their own role or remove
//! themselves, so the console always keeps one admin. A refused change
//! shows the page again with an error summary linking to the field, and
//! keeps what was typed except passwords. Must not touch: sessions
//! (beyond one notice for the next page), calls, password hashing rules
//! (they are [`super::users`]').

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;
use tracing::info;

use super::auth::SignedIn;
use super::directory::Directory;
use super::page::{self, escape};
use super::users::{self, MAX_PASSWORD, MIN_PASSWORD, Role, Users, UsersError};

/// The session key of the notice shown once on the next Users page.
const NOTICE_KEY: &str = "users_notice";

const ROLES: [Role; 3] = [Role::Operator, Role::Supervisor, Role::Admin];

/// Why a change was refused, and which field to fix.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    /// The id of the field the summary links to.
    field: String,
    message: String,
}

fn problem(status: StatusCode, field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        status,
        field: field.into(),
        message: message.into(),
    }
}

impl From<UsersError> for Problem {
    fn from(e: UsersError) -> Problem {
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "users-heading",
            format!("Nothing was changed: {e}"),
        )
    }
}

/// What the add form had, to show it again after a refusal.
#[derive(Debug, Default)]
struct Typed {
    name: String,
    role: Option<Role>,
}

/// The add form.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// A row's role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

/// The set-password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// A row's remove button, and the confirmation page's.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    confirm: String,
}

/// `GET /users`.
pub async fn page(user: SignedIn, State(dir): State<Directory>, session: Session) -> Response {
    if user.role != Role::Admin {
        return forbidden(&user);
    }
    let notice = session.remove::<String>(NOTICE_KEY).await.ok().flatten();
    let users = dir.current().await;
    users_page(
        StatusCode::OK,
        &user,
        &users,
        notice.as_deref(),
        None,
        &Typed::default(),
    )
}

/// `POST /users/add`.
pub async fn add(
    user: SignedIn,
    State(dir): State<Directory>,
    session: Session,
    Form(form): Form<AddForm>,
) -> Response {
    if user.role != Role::Admin {
        return forbidden(&user);
    }
    let name = form.username.trim().to_owned();
    let typed = Typed {
        name: name.clone(),
        role: parse_role(&form.role),
    };
    let result = add_user(&dir, &name, &form).await;
    if let (Ok(_), Some(role)) = (&result, typed.role) {
        info!(admin = %user.name, user = %name, role = %role, "console user added");
    }
    finish(&user, &dir, &session, result, &typed).await
}

async fn add_user(dir: &Directory, name: &str, form: &AddForm) -> Result<String, Problem> {
    users::check_name(name)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, "add-username", e.to_string()))?;
    let role = parse_role(&form.role)
        .ok_or_else(|| problem(StatusCode::BAD_REQUEST, "add-role", "Choose a role"))?;
    let exists = |name: &str| {
        problem(
            StatusCode::CONFLICT,
            "add-username",
            format!("{name} is already a user: change their role or password instead"),
        )
    };
    if dir.current().await.get(name).is_some() {
        return Err(exists(name));
    }
    let hash = new_password(&form.password, &form.confirm, "add").await?;
    let who = name.to_owned();
    dir.edit(move |u: &mut Users| {
        if u.get(&who).is_some() {
            return Err(exists(&who));
        }
        u.set(&who, role, hash);
        Ok(())
    })
    .await?;
    Ok(format!("Added {name} as {}.", with_article(role)))
}

/// `POST /users/role`.
pub async fn role(
    user: SignedIn,
    State(dir): State<Directory>,
    session: Session,
    Form(form): Form<RoleForm>,
) -> Response {
    if user.role != Role::Admin {
        return forbidden(&user);
    }
    let result = change_role(&dir, &user, &form).await;
    finish(&user, &dir, &session, result, &Typed::default()).await
}

async fn change_role(
    dir: &Directory,
    admin: &SignedIn,
    form: &RoleForm,
) -> Result<String, Problem> {
    let name = form.username.clone();
    let field = format!("role-{name}");
    if name == admin.name {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "users-heading",
            "You cannot change your own role: ask another admin",
        ));
    }
    let role = parse_role(&form.role)
        .ok_or_else(|| problem(StatusCode::BAD_REQUEST, field, "Choose a role"))?;
    let who = name.clone();
    dir.edit(move |u: &mut Users| {
        u.set_role(&who, role)
            .then_some(())
            .ok_or_else(|| no_such_user(&who, "users-heading"))
    })
    .await?;
    info!(admin = %admin.name, user = %name, role = %role, "console user's role changed");
    Ok(format!("{name} is now {}.", with_article(role)))
}

/// `POST /users/password`.
pub async fn password(
    user: SignedIn,
    State(dir): State<Directory>,
    session: Session,
    Form(form): Form<PasswordForm>,
) -> Response {
    if user.role != Role::Admin {
        return forbidden(&user);
    }
    let result = set_password(&dir, &user, &form).await;
    finish(&user, &dir, &session, result, &Typed::default()).await
}

async fn set_password(
    dir: &Directory,
    admin: &SignedIn,
    form: &PasswordForm,
) -> Result<String, Problem> {
    let name = form.username.clone();
    if dir.current().await.get(&name).is_none() {
        return Err(no_such_user(&name, "password-user"));
    }
    let hash = new_password(&form.password, &form.confirm, "password").await?;
    let who = name.clone();
    dir.edit(move |u: &mut Users| {
        u.set_password_hash(&who, hash)
            .then_some(())
            .ok_or_else(|| no_such_user(&who, "password-user"))
    })
    .await?;
    info!(admin = %admin.name, user = %name, "console user's password set");
    Ok(if name == admin.name {
        "Your password was changed: use it the next time you sign in.".into()
    } else {
        format!("Set a new password for {name}. They sign in again with it.")
    })
}

/// `POST /users/remove`: without `confirm=yes`, the confirmation page.
pub async fn remove(
    user: SignedIn,
    State(dir): State<Directory>,
    session: Session,
    Form(form): Form<RemoveForm>,
) -> Response {
    if user.role != Role::Admin {
        return forbidden(&user);
    }
    let name = form.username.clone();
    let checked = if name == user.name {
        Err(problem(
            StatusCode::BAD_REQUEST,
            "users-heading",
            "You cannot remove yourself: ask another admin",
        ))
    } else if dir.current().await.get(&name).is_none() {
        Err(no_such_user(&name, "users-heading"))
    } else {
        Ok(())
    };
    if checked.is_ok() && form.confirm != "yes" {
        return confirm_removal(&user, &name);
    }
    let result = match checked {
        Ok(()) => {
            let who = name.clone();
            dir.edit(move |u: &mut Users| {
                u.remove(&who)
                    .then_some(())
                    .ok_or_else(|| no_such_user(&who, "users-heading"))
            })
            .await
            .map(|()| {
                info!(admin = %user.name, user = %name, "console user removed");
                format!("Removed {name}. They can no longer sign in.")
            })
        }
        Err(p) => Err(p),
    };
    finish(&user, &dir, &session, result, &Typed::default()).await
}

/// After a change: on success, back to the page with a notice (a
/// redirect, so reloading does not send the form again); on a refusal,
/// the page again with the problem.
async fn finish(
    user: &SignedIn,
    dir: &Directory,
    session: &Session,
    result: Result<String, Problem>,
    typed: &Typed,
) -> Response {
    match result {
        Ok(notice) => {
            let _ = session.insert(NOTICE_KEY, notice).await;
            Redirect::to("/users").into_response()
        }
        Err(p) => {
            let users = dir.current().await;
            users_page(p.status, user, &users, None, Some(&p), typed)
        }
    }
}

fn no_such_user(name: &str, field: &str) -> Problem {
    problem(
        StatusCode::NOT_FOUND,
        field,
        format!("There is no user called {name}"),
    )
}

fn parse_role(text: &str) -> Option<Role> {
    ROLES.into_iter().find(|r| r.name() == text)
}

fn with_article(role: Role) -> String {
    match role {
        Role::Admin | Role::Operator => format!("an {role}"),
        Role::Supervisor => format!("a {role}"),
    }
}

/// Checks a new password and its repeat, then hashes it off the async
/// runtime. `form` is the id prefix of the form's fields.
async fn new_password(password: &str, confirm: &str, form: &str) -> Result<String, Problem> {
    let len = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&len) {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            format!("{form}-password"),
            format!("The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long"),
        ));
    }
    if password != confirm {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            format!("{form}-confirm"),
            "The two passwords differ: type the same password twice",
        ));
    }
    let password = password.to_owned();
    match tokio::task::spawn_blocking(move || users::hash_password(&password)).await {
        Ok(hash) => Ok(hash?),
        Err(_) => Err(UsersError::Interrupted.into()),
    }
}

fn forbidden(user: &SignedIn) -> Response {
    let main = "<h1 id=\"users-heading\">Users</h1>\n\
         <p>Only an admin manages the console's users. Ask an admin to add, change or remove a user.</p>\n\
         <p><a href=\"/\">Back to the calls</a></p>";
    page::users(StatusCode::FORBIDDEN, "Users", &user.name, user.role, main)
}

fn confirm_removal(user: &SignedIn, name: &str) -> Response {
    let n = escape(name);
    let main = format!(
        "<h1 id=\"users-heading\">Remove {n}?</h1>\n\
         <p>{n} can no longer sign in, and any console session they have open ends.</p>\n\
         <form method=\"post\" action=\"/users/remove\" class=\"actions\">\n\
         <input type=\"hidden\" name=\"username\" value=\"{n}\">\n\
         <input type=\"hidden\" name=\"confirm\" value=\"yes\">\n\
         <button type=\"submit\" class=\"danger\" autofocus>Remove {n}</button>\n\
         <a href=\"/users\">Cancel</a>\n\
         </form>"
    );
    page::users(
        StatusCode::OK,
        "Remove a user",
        &user.name,
        user.role,
        &main,
    )
}

fn role_options(selected: Option<Role>, prompt: bool) -> String {
    let mut out = String::new();
    if prompt {
        out.push_str("<option value=\"\">Choose a role</option>\n");
    }
    for r in ROLES {
        let sel = if Some(r) == selected { " selected" } else { "" };
        out.push_str(&format!("<option value=\"{r}\"{sel}>{r}</option>\n"));
    }
    out
}

/// A field's error message, and the attributes that tie it and the
/// field's hint (if any) to the field.
fn field_error(problem: Option<&Problem>, id: &str, hint: Option<&str>) -> (String, String) {
    let mut described: Vec<String> = hint.map(str::to_owned).into_iter().collect();
    let mut message = String::new();
    let mut invalid = "";
    if let Some(p) = problem.filter(|p| p.field == id) {
        message = format!(
            "<p class=\"field-error\" id=\"{}-error\"><span class=\"visually-hidden\">Error: </span>{}</p>\n",
            escape(id),
            escape(&p.message)
        );
        described.push(format!("{id}-error"));
        invalid = " aria-invalid=\"true\"";
    }
    let attrs = if described.is_empty() {
        invalid.to_owned()
    } else {
        format!(
            "{invalid} aria-describedby=\"{}\"",
            escape(&described.join(" "))
        )
    };
    (message, attrs)
}

fn users_page(
    status: StatusCode,
    admin: &SignedIn,
    users: &Users,
    notice: Option<&str>,
    problem: Option<&Problem>,
    typed: &Typed,
) -> Response {
    let mut main = String::new();
    if let Some(p) = problem {
        main.push_str(&format!(
            "<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\" tabindex=\"-1\" autofocus>\n\
             <h2 id=\"error-summary-title\">There is a problem</h2>\n\
             <ul>\n<li><a href=\"#{}\">{}</a></li>\n</ul>\n</div>\n",
            escape(&p.field),
            escape(&p.message)
        ));
    } else if let Some(n) = notice {
        main.push_str(&format!(
            "<div class=\"notice\" role=\"status\" tabindex=\"-1\" autofocus>\n<p>{}</p>\n</div>\n",
            escape(n)
        ));
    }
    main.push_str(
        "<h1 id=\"users-heading\" tabindex=\"-1\">Users</h1>\n\
         <p class=\"hint\">Who may sign in to the console. Changes are saved to the users file at once \
         and take effect at each user's next step; a removed user's session ends.</p>\n\
         <h2>Who may sign in</h2>\n<ul class=\"user-list\">\n",
    );
    for u in &users.users {
        let n = escape(&u.name);
        main.push_str(&format!(
            "<li class=\"user-item\" id=\"user-{n}\">\n<h3>{n}</h3>\n"
        ));
        if u.name == admin.name {
            main.push_str(&format!(
                "<p>Role: {}. This is you: another admin can change your role or remove you.</p>\n",
                u.role
            ));
        } else {
            let id = format!("role-{}", u.name);
            let (error, attrs) = field_error(problem, &id, None);
            let id = escape(&id);
            main.push_str(&format!(
                "<div class=\"user-actions\">\n\
                 <form method=\"post\" action=\"/users/role\" class=\"user-form\">\n\
                 <input type=\"hidden\" name=\"username\" value=\"{n}\">\n\
                 <div class=\"field\">\n<label for=\"{id}\">Role of {n}</label>\n{error}\
                 <select id=\"{id}\" name=\"role\"{attrs}>\n{}</select>\n</div>\n\
                 <button type=\"submit\">Save role<span class=\"visually-hidden\"> of {n}</span></button>\n\
                 </form>\n\
                 <form method=\"post\" action=\"/users/remove\" class=\"user-form\">\n\
                 <input type=\"hidden\" name=\"username\" value=\"{n}\">\n\
                 <button type=\"submit\" class=\"danger\">Remove<span class=\"visually-hidden\"> {n}</span></button>\n\
                 </form>\n</div>\n",
                role_options(Some(u.role), false)
            ));
        }
        main.push_str("</li>\n");
    }
    main.push_str("</ul>\n");
    if users.users.is_empty() {
        main.push_str("<p class=\"empty\">Nobody may sign in yet.</p>\n");
    }

    // Add a user.
    let (name_err, name_attrs) = field_error(problem, "add-username", Some("add-username-hint"));
    let (role_err, role_attrs) = field_error(problem, "add-role", None);
    main.push_str(&format!(
        "<h2>Add a user</h2>\n\
         <form method=\"post\" action=\"/users/add\" class=\"user-add\" novalidate>\n\
         <div class=\"field\">\n<label for=\"add-username\">Username</label>\n\
         <p class=\"hint\" id=\"add-username-hint\">1 to 64 letters, digits, dots, hyphens or underscores.</p>\n{name_err}\
         <input id=\"add-username\" name=\"username\" type=\"text\" value=\"{}\" autocomplete=\"off\" \
         autocapitalize=\"none\" spellcheck=\"false\"{name_attrs}>\n</div>\n\
         <div class=\"field\">\n<label for=\"add-role\">Role</label>\n{role_err}\
         <select id=\"add-role\" name=\"role\"{role_attrs}>\n{}</select>\n</div>\n\
         {}\
         <button type=\"submit\" class=\"primary\">Add user</button>\n</form>\n",
        escape(&typed.name),
        role_options(typed.role, true),
        password_fields("add", problem),
    ));

    // Set a password.
    let (user_err, user_attrs) = field_error(problem, "password-user", None);
    let mut options = String::new();
    for u in &users.users {
        let n = escape(&u.name);
        options.push_str(&format!("<option value=\"{n}\">{n}</option>\n"));
    }
    main.push_str(&format!(
        "<h2>Set a password</h2>\n\
         <form method=\"post\" action=\"/users/password\" class=\"user-add\" novalidate>\n\
         <div class=\"field\">\n<label for=\"password-user\">User</label>\n{user_err}\
         <select id=\"password-user\" name=\"username\"{user_attrs}>\n{options}</select>\n</div>\n\
         {}\
         <button type=\"submit\" class=\"primary\">Set password</button>\n</form>\n",
        password_fields("password", problem),
    ));
    page::users(status, "Users", &admin.name, admin.role, &main)
}

fn password_fields(form: &str, problem: Option<&Problem>) -> String {
    let hint = format!("{form}-password-hint");
    let (pw_err, pw_attrs) = field_error(problem, &format!("{form}-password"), Some(&hint));
    let (cf_err, cf_attrs) = field_error(problem, &format!("{form}-confirm"), None);
    format!(
        "<div class=\"field\">\n<label for=\"{form}-password\">New password</label>\n\
         <p class=\"hint\" id=\"{hint}\">{MIN_PASSWORD} to {MAX_PASSWORD} characters.</p>\n{pw_err}\
         <input id=\"{form}-password\" name=\"password\" type=\"password\" autocomplete=\"new-password\"{pw_attrs}>\n</div>\n\
         <div class=\"field\">\n<label for=\"{form}-confirm\">New password again</label>\n{cf_err}\
         <input id=\"{form}-confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\"{cf_attrs}>\n</div>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_by_their_names_only() {
        assert_eq!(parse_role("supervisor"), Some(Role::Supervisor));
        assert_eq!(parse_role("Admin"), None);
        assert_eq!(parse_role(""), None);
        assert_eq!(with_article(Role::Operator), "an operator");
        assert_eq!(with_article(Role::Supervisor), "a supervisor");
    }

    #[test]
    fn a_field_with_an_error_says_so_to_screen_readers() {
        let p = problem(StatusCode::BAD_REQUEST, "add-role", "Choose a role");
        let (message, attrs) = field_error(Some(&p), "add-role", Some("add-role-hint"));
        assert!(message.contains("id=\"add-role-error\""), "{message}");
        assert!(message.contains("Error: </span>Choose a role"), "{message}");
        assert_eq!(
            attrs,
            " aria-invalid=\"true\" aria-describedby=\"add-role-hint add-role-error\""
        );
        let (message, attrs) = field_error(Some(&p), "add-username", Some("hint"));
        assert_eq!(
            (message.as_str(), attrs.as_str()),
            ("", " aria-describedby=\"hint\"")
        );
    }

    #[tokio::test]
    async fn a_new_password_must_be_long_enough_and_typed_twice_the_same() {
        let short = new_password("short", "short", "add")
            .await
            .expect_err("short");
        assert_eq!(short.field, "add-password");
        let differ = new_password("long enough one", "long enough two", "add")
            .await
            .expect_err("differ");
        assert_eq!(differ.field, "add-confirm");
        let hash = new_password("long enough one", "long enough one", "add")
            .await
            .expect("hashed");
        assert!(hash.starts_with("$argon2id$"));
    }
}
