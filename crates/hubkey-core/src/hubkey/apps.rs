//! Registering an app: the registration rules ([`AppDraft::validate`]) decide, for the window and
//! `hubkey app add` alike, and an app is never replaced by accident: a name already taken is refused
//! unless the caller asks to replace it (`hubkey app add --replace`).

use super::Hubkey;
use crate::app::AppConfig;
use crate::draft::{AppDraft, AppValidation, Issue};
use crate::error::{Error, Result};
use crate::secret::ClientSecret;

/// What registering stored: the app, and the warnings that did not block saving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredApp {
    pub app: AppConfig,
    pub warnings: Vec<Issue>,
}

impl Hubkey {
    /// The registration rules' verdict on `draft` (and on `secret`, when given): what the window shows
    /// as the user types.
    pub fn validate_app(&self, draft: &AppDraft, secret: Option<&ClientSecret>) -> AppValidation {
        draft.validate(secret)
    }

    /// Refuses a name already taken, unless `replace` (the message the window and the CLI show).
    pub async fn check_name_free(&self, name: &str, replace: bool) -> Result<()> {
        let name = name.trim();
        if !replace && self.apps().await?.iter().any(|a| a.name == name) {
            return Err(Error::InvalidInput(format!(
                "An app named “{name}” already exists; remove it first or choose another name."
            )));
        }
        Ok(())
    }

    /// Validates the draft and its secret ([`Error::InvalidInput`] with every error, in field order),
    /// refuses a name already taken unless `replace`, then stores the app: the client secret (trimmed)
    /// in the keychain, the rest in the index.
    pub async fn register_app(
        &self,
        draft: &AppDraft,
        secret: ClientSecret,
        replace: bool,
    ) -> Result<RegisteredApp> {
        let validation = draft.validate(Some(&secret));
        if !validation.ok {
            return Err(Error::InvalidInput(validation.error_message()));
        }
        let app = draft.to_config();
        self.check_name_free(&app.name, replace).await?;
        let secret = ClientSecret::new(secret.expose().trim());
        self.store().save_app(&app, &secret).await?;
        self.refresher().nudge();
        self.publish(super::Change::AppsChanged);
        tracing::info!(app = %app.name, "app registered");
        Ok(RegisteredApp {
            app,
            warnings: validation.warnings(),
        })
    }

    /// Removes an app and its client secret, cancelling its pending login first. Refused while the
    /// app still has connections (sign out of them first, so their refresh tokens get revoked).
    pub async fn remove_app(&self, name: &str) -> Result<()> {
        self.cancel_login(name);
        self.store().remove_app(name).await?;
        self.refresher().nudge();
        self.publish(super::Change::AppsChanged);
        Ok(())
    }
}
