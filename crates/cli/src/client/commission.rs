//! The commission's two signed requests to the board (spec `board.md` §9): `POST /v1/close` and
//! `POST /v1/publish`, and the `election.json` they are signed for.

use std::time::Duration;

use super::error::BoardRefusal;

/// What the board answered: its status and body.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The board's refusal, worded as the board wrote it, or the raw body.
    pub fn refusal(&self) -> String {
        match BoardRefusal::parse(&self.body) {
            Some(refusal) => format!("{} {refusal}", self.status),
            None => format!(
                "{} {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            ),
        }
    }
}

/// A client for the commission's requests to the board at `url`.
pub struct CommissionClient {
    base: String,
    agent: ureq::Agent,
}

impl CommissionClient {
    /// A client for `url` (`http://` or `https://`).
    pub fn new(url: &str) -> Result<Self, String> {
        let base = url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "--board {url:?}: expected a URL such as https://board.example"
            ));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            // Publishing waits while the board verifies the whole record.
            .timeout_global(Some(Duration::from_secs(600)))
            .max_redirects(0)
            .user_agent(concat!("saylau/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            base,
            agent: ureq::Agent::new_with_config(config),
        })
    }

    /// `GET /v1/election/election.json`: the bytes of the board's `election.json`.
    pub fn election_json(&self) -> Result<Vec<u8>, String> {
        let url = format!("{}/v1/election/election.json", self.base);
        let answer = read(&url, self.agent.get(&url).call())?;
        if answer.status != 200 {
            return Err(format!("{url}: {}", answer.refusal()));
        }
        Ok(answer.body)
    }

    /// `POST {path}` with a JSON body.
    pub fn post(&self, path: &str, json: &[u8]) -> Result<Answer, String> {
        let url = format!("{}{path}", self.base);
        read(
            &url,
            self.agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(json),
        )
    }
}

fn read(
    url: &str,
    answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, String> {
    let mut response = answer.map_err(|e| format!("{url}: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(Answer { status, body })
}
