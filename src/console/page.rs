//! The console's page, style sheet and script, shipped inside the binary,
//! and the sign-in form's two variable parts (the name typed before and
//! the error summary). Plain HTML with one ES module: no build step, no
//! framework, no inline script, so the strict CSP holds.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const SIGN_IN: &str = include_str!("page/sign_in.html");
const APP: &str = include_str!("page/app.html");
const USERS: &str = include_str!("page/users.html");
const SCRIPT: &str = include_str!("page/console.js");
const STYLE: &str = include_str!("page/console.css");

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The sign-in form, with the name typed before and, after a failed
/// attempt, an error summary linking to the field to fix.
pub fn sign_in(status: StatusCode, username: &str, error: Option<&str>) -> Response {
    let summary = error.map_or(String::new(), |message| {
        format!(
            "<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\" \
             tabindex=\"-1\" autofocus>\n<h2 id=\"error-summary-title\">There is a problem</h2>\n\
             <ul>\n<li><a href=\"#password\">{}</a></li>\n</ul>\n</div>",
            escape(message)
        )
    });
    let body = SIGN_IN
        .replace("<!--ERROR-->", &summary)
        .replace("__USERNAME__", &escape(username));
    (status, html_headers(), body).into_response()
}

/// A page of the admin's user management around `main` (markup the
/// caller made, with every user-given text escaped).
pub fn users(
    status: StatusCode,
    title: &str,
    username: &str,
    role: super::users::Role,
    main: &str,
) -> Response {
    let body = USERS
        .replace("__TITLE__", &escape(title))
        .replace("__USERNAME__", &escape(username))
        .replace("__ROLE__", role.name())
        .replace("<!--MAIN-->", main);
    (status, html_headers(), body).into_response()
}

/// The console page (the session was checked by the caller).
pub fn app() -> Response {
    (html_headers(), APP).into_response()
}

/// The page's module.
pub fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// The style sheet (the sign-in page uses it too).
pub fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

fn html_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_user_typed_cannot_become_markup() {
        assert_eq!(
            escape("<script>\"x\" & 'y'"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn the_sign_in_form_has_its_slots() {
        assert!(SIGN_IN.contains("<!--ERROR-->"));
        assert!(SIGN_IN.contains("__USERNAME__"));
        for slot in ["__TITLE__", "__USERNAME__", "__ROLE__", "<!--MAIN-->"] {
            assert!(USERS.contains(slot), "{slot}");
        }
    }
}
