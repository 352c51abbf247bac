//! `UserBuilder`: creates a user through the real CLI (`portcullis user create`).

use super::app::TestApp;
use super::cli::Cli;

/// The password of users whose test does not care which one they have.
pub const PASSWORD: &str = "correct horse battery";

/// A created user.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password: String,
}

#[must_use = "a user is created by `create()`"]
pub struct UserBuilder {
    cli: Cli,
    username: String,
    password: String,
    email: Option<String>,
    name: Option<String>,
    roles: Vec<String>,
    disabled: bool,
    email_verified: bool,
}

impl Cli {
    pub fn user(&self, username: &str) -> UserBuilder {
        UserBuilder {
            cli: self.clone(),
            username: username.into(),
            password: PASSWORD.into(),
            email: None,
            name: None,
            roles: Vec::new(),
            disabled: false,
            email_verified: false,
        }
    }

    /// `portcullis user disable`: no sign-in, sessions ended, refresh tokens revoked.
    pub fn disable_user(&self, username: &str) {
        self.run(&["user", "disable", username]).ok();
    }
}

impl TestApp {
    pub fn user(&self, username: &str) -> UserBuilder {
        self.cli().user(username)
    }

    pub fn disable_user(&self, username: &str) {
        self.cli().disable_user(username);
    }
}

impl UserBuilder {
    pub fn password(mut self, password: &str) -> Self {
        self.password = password.into();
        self
    }

    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.into());
        self
    }

    /// An address the operator vouches for (`--email-verified`).
    pub fn verified_email(mut self, email: &str) -> Self {
        self.email = Some(email.into());
        self.email_verified = true;
        self
    }

    /// The display name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn role(mut self, role: &str) -> Self {
        self.roles.push(role.into());
        self
    }

    pub fn disabled(mut self) -> Self {
        self.disabled = true;
        self
    }

    pub fn create(self) -> User {
        let mut args = vec!["user", "create", "--username", &self.username];
        if let Some(email) = &self.email {
            args.extend(["--email", email]);
        }
        if let Some(name) = &self.name {
            args.extend(["--name", name]);
        }
        for role in &self.roles {
            args.extend(["--role", role]);
        }
        if self.email_verified {
            args.push("--email-verified");
        }
        args.push("--password-stdin");
        self.cli.run_with_stdin(&args, &self.password).ok();
        let listed = self.cli.run(&["user", "list", "--json"]).ok().json();
        let id = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == self.username.as_str())
            .and_then(|u| u["id"].as_str())
            .unwrap_or_else(|| panic!("{} not listed: {listed}", self.username))
            .to_string();
        if self.disabled {
            self.cli.disable_user(&self.username);
        }
        User {
            id,
            username: self.username,
            password: self.password,
        }
    }
}
