//! Step 1: take the token the admin pasted, check it with GitLab, keep it in the keychain.

use crate::client::{Client, ClientConfig};
use crate::error::{ApiError, Error};
use crate::instance::GitLabUrl;
use crate::keychain::Keychain;
use crate::model::{OAuthTokenInfo, TokenSelf};
use crate::secret::Secret;

/// Why the pasted token was refused before any request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenInputError {
    /// Nothing was pasted.
    #[error(
        "no token given: paste the personal access token you created in GitLab (Preferences > Access tokens)"
    )]
    Empty,
    /// Spaces or line breaks inside: usually two things pasted at once, or a wrapped line.
    #[error("the token contains whitespace at position {0}: paste the token alone, on one line")]
    InnerWhitespace(usize),
    /// No token in `GITLAB_TOKEN` and none in the keychain for this instance.
    #[error("no token for {0}: run `gitlab-onboard login --gitlab-url {0}` or set GITLAB_TOKEN")]
    Missing(String),
    /// `--secret-env` names a variable that is unset, empty or holds whitespace.
    #[error(
        "the environment variable {0} holds no usable webhook secret: set it to the secret, on one line"
    )]
    MissingSecret(String),
}

/// Trims surrounding whitespace and refuses empty input or whitespace inside.
pub fn parse_token(input: &str) -> Result<Secret, TokenInputError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TokenInputError::Empty);
    }
    if let Some(pos) = trimmed.chars().position(char::is_whitespace) {
        return Err(TokenInputError::InnerWhitespace(pos + 1));
    }
    Ok(Secret::new(trimmed))
}

/// What GitLab said about the token itself.
#[derive(Debug, Clone)]
pub enum TokenInfo {
    /// A personal, project or group access token (`/personal_access_tokens/self`).
    Personal(TokenSelf),
    /// An OAuth token (`/oauth/token/info`).
    OAuth(OAuthTokenInfo),
    /// GitLab older than 15.5: it cannot describe the token; scopes are inferred later.
    Unreported,
}

/// A checked token and the client that carries it: what every later step starts from.
#[derive(Debug, Clone)]
pub struct Session {
    /// The client, holding the token.
    pub client: Client,
    /// What GitLab said about the token.
    pub info: TokenInfo,
}

impl Session {
    /// Checks the token with GitLab without storing it (the CLI with `GITLAB_TOKEN`).
    pub async fn open(config: ClientConfig) -> Result<Session, Error> {
        let client = Client::new(config)?;
        let info = describe_token(&client).await?;
        Ok(Session { client, info })
    }
}

/// Step 1 as the wizard runs it: parse the URL and token, check the token with GitLab, and
/// only when GitLab accepts it, keep it in the keychain. A refused token stores nothing.
pub async fn sign_in(
    url_input: &str,
    token_input: &str,
    keychain: &Keychain,
) -> Result<Session, Error> {
    let url = GitLabUrl::parse(url_input)?;
    let token = parse_token(token_input)?;
    let session = Session::open(ClientConfig::new(url, token)).await?;
    keychain.store_token(session.client.url(), session.client.token())?;
    Ok(session)
}

/// Asks GitLab about the token: `/personal_access_tokens/self`, `/oauth/token/info` for OAuth
/// tokens (400 there), and nothing for GitLab before 15.5 (404 route) beyond checking `/user`.
async fn describe_token(client: &Client) -> Result<TokenInfo, Error> {
    match client
        .get::<TokenSelf>("personal_access_tokens/self", &[])
        .await
    {
        Ok(info) if info.revoked => {
            Err(ApiError::Unauthorized(crate::error::AuthFailure::Revoked).into())
        }
        Ok(info) if !info.active => {
            Err(ApiError::Unauthorized(crate::error::AuthFailure::Expired).into())
        }
        Ok(info) => Ok(TokenInfo::Personal(info)),
        Err(ApiError::BadRequest { .. }) => Ok(TokenInfo::OAuth(
            client.get_outside_api("/oauth/token/info").await?,
        )),
        Err(ApiError::NotFound { .. }) => {
            // No such route: an old GitLab. A bad token still fails here with 401.
            match client.get::<serde::de::IgnoredAny>("user", &[]).await {
                Ok(_) | Err(ApiError::InsufficientScope { .. }) => Ok(TokenInfo::Unreported),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_refuses_bad_input() {
        assert_eq!(parse_token("  abc-123\n").unwrap().expose(), "abc-123");
        assert_eq!(parse_token(" \t\n"), Err(TokenInputError::Empty));
        assert_eq!(
            parse_token("abc def"),
            Err(TokenInputError::InnerWhitespace(4))
        );
        assert_eq!(
            parse_token("abc\ndef"),
            Err(TokenInputError::InnerWhitespace(4))
        );
    }

    #[test]
    fn messages_never_echo_the_token() {
        let e = parse_token("secret-part other-part").unwrap_err();
        assert!(!e.to_string().contains("secret-part"));
    }
}
