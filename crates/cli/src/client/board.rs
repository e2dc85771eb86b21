//! One board, over HTTP or HTTPS: the requests of spec `board.md` §8 and the shapes of their
//! answers. Blocking (`ureq`): a voter's device sends a handful of requests, and the load tool
//! runs one client per thread.

use super::error::{BoardRefusal, ClientError};
use saylau::crypto::digest::Hash;
use saylau::crypto::group::hash_hex;
use saylau::election::Receipt;
use saylau::log::EntryBundle;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use ureq::tls::{PemItem, RootCerts, TlsConfig};

/// The most the client reads of one answer: the largest record file the library reads.
const MAX_ANSWER: u64 = saylau::record::MAX_FILE_BYTES;
/// The most the client reads of an answer that is a few hashes (a proof, a receipt, an error).
const MAX_SMALL_ANSWER: u64 = 64 * 1024;

/// A hash written as 64 lower-case hex characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HexHash(#[serde(with = "hash_hex")] pub Hash);

/// `{"receipt": R}`: the answer to a cast and to a receipt lookup.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptAnswer {
    receipt: Receipt,
}

/// `GET /v1/receipts/{t}?proof=true`: the receipt, the ballot's leaf, and (once a signed
/// checkpoint covers it) the leaf's inclusion proof with that checkpoint (board.md §8.9).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptProof {
    /// The board's signed receipt.
    pub receipt: Receipt,
    /// The ballot's leaf (129 bytes, hex).
    #[serde(with = "saylau::crypto::group::bytes_hex")]
    pub leaf: Vec<u8>,
    /// The inclusion proof and its checkpoint; `None` while no signed checkpoint covers the leaf.
    #[serde(default)]
    pub proof: Option<ProofAnswer>,
}

/// The board's answer to `POST /v1/challenged`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedAnswer {
    /// The challenged ballot's hash.
    pub ballot_hash: HexHash,
    /// Its leaf in the log.
    pub leaf_index: u64,
}

/// `GET /v1/proof/{index}`: an inclusion proof and the signed checkpoint it leads to.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofAnswer {
    /// The leaf index asked for.
    pub index: u64,
    /// The checkpoint's tree size.
    pub size: u64,
    /// The signed note text of the checkpoint of that size.
    pub checkpoint: String,
    /// Sibling hashes from the leaf up.
    pub inclusion: Vec<HexHash>,
}

/// `GET /v1/consistency`: a consistency proof between two signed sizes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyAnswer {
    /// The older size.
    pub from: u64,
    /// The newer size.
    pub to: u64,
    /// The proof's hashes.
    pub consistency: Vec<HexHash>,
}

/// What a cast got: the signed receipt, and whether the board had this ballot already (a retry
/// after a lost answer gets the same receipt with 200 instead of 201).
#[derive(Clone, Debug)]
pub struct CastAnswer {
    /// The board's signed receipt.
    pub receipt: Receipt,
    /// True for 200 (the identical ballot was already on the board).
    pub already_there: bool,
}

/// A board at one base URL.
#[derive(Clone)]
pub struct Board {
    base: String,
    agent: ureq::Agent,
    received: Arc<AtomicU64>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board").field("base", &self.base).finish()
    }
}

impl Board {
    /// A client for the board at `url` (`http://` or `https://`, no query). `ca` is a PEM file
    /// of certificates to trust instead of the usual web roots (a board with its own CA).
    pub fn new(url: &str, ca: Option<&Path>) -> Result<Self, ClientError> {
        let base = url.trim_end_matches('/').to_string();
        let scheme_ok = base.starts_with("http://") || base.starts_with("https://");
        if !scheme_ok || base.contains(['?', '#']) || base.chars().any(char::is_whitespace) {
            return Err(ClientError::Setup(format!(
                "--board {url:?}: expected a URL such as https://board.example or http://127.0.0.1:8080"
            )));
        }
        let mut tls = TlsConfig::builder();
        if let Some(path) = ca {
            tls = tls.root_certs(trusted_roots(path)?);
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .max_redirects(0)
            .user_agent(concat!("saylau/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build();
        Ok(Self {
            base,
            agent: ureq::Agent::new_with_config(config),
            received: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The base URL, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Bytes of answer bodies this client (and its clones) received so far.
    pub fn bytes_received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// `GET /v1/election/{name}`: a record file's exact bytes.
    pub fn election_file(&self, name: &str) -> Result<Vec<u8>, ClientError> {
        let url = format!("{}/v1/election/{name}", self.base);
        let (status, body) = self.get(&url, MAX_ANSWER)?;
        expect_status(&url, status, &body, &[200])?;
        Ok(body)
    }

    /// `POST /v1/ballots` with a ballot's JSON, for election `election` (sent as the
    /// `Saylau-Election` header, so a board of another election refuses it before any work).
    pub fn cast(&self, election: &Hash, ballot_json: &[u8]) -> Result<CastAnswer, ClientError> {
        let url = format!("{}/v1/ballots", self.base);
        let (status, body) = self.post(&url, election, ballot_json)?;
        expect_status(&url, status, &body, &[200, 201])?;
        let answer: ReceiptAnswer = decode(&url, status, &body)?;
        Ok(CastAnswer {
            receipt: answer.receipt,
            already_there: status == 200,
        })
    }

    /// [`Board::cast`], sending the identical ballot again when no answer came back (the
    /// connection failed, or `503`): the board answers a ballot it already holds with the same
    /// receipt (spec `board.md` §8.3 step 4, §8.8), so a retry never casts twice. At most
    /// `tries` attempts, a second apart.
    pub fn cast_until_answered(
        &self,
        election: &Hash,
        ballot_json: &[u8],
        tries: u32,
    ) -> Result<CastAnswer, ClientError> {
        let mut attempt = 1;
        loop {
            match self.cast(election, ballot_json) {
                Err(error) if attempt < tries && error.no_answer() => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_secs(1));
                }
                answer => return answer,
            }
        }
    }

    /// `POST /v1/challenged` with a challenged ballot's JSON (its opening).
    pub fn challenge(
        &self,
        election: &Hash,
        challenged_json: &[u8],
    ) -> Result<ChallengedAnswer, ClientError> {
        let url = format!("{}/v1/challenged", self.base);
        let (status, body) = self.post(&url, election, challenged_json)?;
        expect_status(&url, status, &body, &[200, 201])?;
        decode(&url, status, &body)
    }

    /// `GET /v1/proof/{index}[?size=N]`; `Ok(None)` while no signed checkpoint covers the leaf
    /// (`404 not_in_checkpoint`: the device polls).
    pub fn proof(&self, index: u64, size: Option<u64>) -> Result<Option<ProofAnswer>, ClientError> {
        let url = match size {
            Some(size) => format!("{}/v1/proof/{index}?size={size}", self.base),
            None => format!("{}/v1/proof/{index}", self.base),
        };
        let (status, body) = self.get(&url, MAX_SMALL_ANSWER)?;
        if status == 404
            && BoardRefusal::parse(&body).is_some_and(|r| r.code == "not_in_checkpoint")
        {
            return Ok(None);
        }
        expect_status(&url, status, &body, &[200])?;
        let answer: ProofAnswer = decode(&url, status, &body)?;
        if answer.index != index || size.is_some_and(|size| size != answer.size) {
            return Err(ClientError::Unexpected {
                url,
                status,
                detail: format!(
                    "asked for leaf {index}{}, got leaf {} at size {}",
                    size.map(|s| format!(" at size {s}")).unwrap_or_default(),
                    answer.index,
                    answer.size
                ),
            });
        }
        Ok(Some(answer))
    }

    /// `GET /v1/tlog-proof/{index}` (board.md §11.4): the C2SP tlog-proof text; `Ok(None)`
    /// while no signed checkpoint covers the leaf.
    pub fn tlog_proof(&self, index: u64) -> Result<Option<Vec<u8>>, ClientError> {
        let url = format!("{}/v1/tlog-proof/{index}", self.base);
        let (status, body) = self.get(&url, MAX_SMALL_ANSWER)?;
        if status == 404
            && BoardRefusal::parse(&body).is_some_and(|r| r.code == "not_in_checkpoint")
        {
            return Ok(None);
        }
        expect_status(&url, status, &body, &[200])?;
        Ok(Some(body))
    }

    /// `GET /v1/consistency?from=M&to=N`.
    pub fn consistency(&self, from: u64, to: u64) -> Result<ConsistencyAnswer, ClientError> {
        let url = format!("{}/v1/consistency?from={from}&to={to}", self.base);
        let (status, body) = self.get(&url, MAX_SMALL_ANSWER)?;
        expect_status(&url, status, &body, &[200])?;
        let answer: ConsistencyAnswer = decode(&url, status, &body)?;
        if (answer.from, answer.to) != (from, to) {
            return Err(ClientError::Unexpected {
                url,
                status,
                detail: format!(
                    "asked from {from} to {to}, got from {} to {}",
                    answer.from, answer.to
                ),
            });
        }
        Ok(answer)
    }

    /// `GET /log/checkpoint`: the latest signed checkpoint's note text (board.md §8.1).
    pub fn latest_checkpoint(&self) -> Result<String, ClientError> {
        let url = format!("{}/log/checkpoint", self.base);
        let (status, body) = self.get(&url, MAX_SMALL_ANSWER)?;
        expect_status(&url, status, &body, &[200])?;
        String::from_utf8(body).map_err(|_| ClientError::Unexpected {
            url,
            status,
            detail: "the checkpoint is not UTF-8".into(),
        })
    }

    /// `GET /v1/ballots?after=P&limit=L`: the raw `ballots.jsonl` lines after position `P`.
    pub fn ballot_lines(&self, after: u64, limit: u64) -> Result<Vec<u8>, ClientError> {
        let url = format!("{}/v1/ballots?after={after}&limit={limit}", self.base);
        let (status, body) = self.get(&url, MAX_ANSWER)?;
        expect_status(&url, status, &body, &[200])?;
        Ok(body)
    }

    /// `GET /v1/receipts/{hex t}`: the receipt of the cast ballot with tracking code `t`.
    pub fn receipt(&self, tracking_code: &Hash) -> Result<Receipt, ClientError> {
        let url = format!("{}/v1/receipts/{}", self.base, hex::encode(tracking_code));
        let (status, body) = self.get(&url, MAX_SMALL_ANSWER)?;
        expect_status(&url, status, &body, &[200])?;
        let answer: ReceiptAnswer = decode(&url, status, &body)?;
        Ok(answer.receipt)
    }

    /// `GET /v1/receipts/{hex t}?proof=true[&size=N]`: the receipt, the leaf and its inclusion
    /// proof in one request (board.md §8.9).
    pub fn receipt_with_proof(
        &self,
        tracking_code: &Hash,
        size: Option<u64>,
    ) -> Result<ReceiptProof, ClientError> {
        let mut url = format!(
            "{}/v1/receipts/{}?proof=true",
            self.base,
            hex::encode(tracking_code)
        );
        if let Some(size) = size {
            url.push_str(&format!("&size={size}"));
        }
        let (status, body) = self.get(&url, MAX_SMALL_ANSWER)?;
        expect_status(&url, status, &body, &[200])?;
        let answer: ReceiptProof = decode(&url, status, &body)?;
        let index = answer.receipt.leaf_index;
        if let Some(proof) = &answer.proof {
            if proof.index != index || size.is_some_and(|size| size != proof.size) {
                return Err(ClientError::Unexpected {
                    url,
                    status,
                    detail: format!(
                        "the receipt's leaf is {index}, the proof is for leaf {} at size {}",
                        proof.index, proof.size
                    ),
                });
            }
        }
        Ok(answer)
    }

    /// `GET /log/tile/entries/<N>[.p/<W>]`: the leaves of one entry bundle (C2SP tlog-tiles).
    // Unused since the receipt check takes the leaf from its file or `?proof=true`; kept for
    // tlog-tiles clients.
    #[allow(dead_code)]
    pub fn entry_bundle(&self, bundle: &EntryBundle) -> Result<Vec<Vec<u8>>, ClientError> {
        let url = format!("{}/log/{}", self.base, bundle.path());
        let (status, body) = self.get(&url, MAX_SMALL_ANSWER)?;
        expect_status(&url, status, &body, &[200])?;
        bundle.decode(&body).map_err(|e| ClientError::Unexpected {
            url,
            status,
            detail: e.to_string(),
        })
    }

    fn get(&self, url: &str, limit: u64) -> Result<(u16, Vec<u8>), ClientError> {
        let answer = self.agent.get(url).call();
        self.read(url, answer, limit)
    }

    fn post(&self, url: &str, election: &Hash, json: &[u8]) -> Result<(u16, Vec<u8>), ClientError> {
        let answer = self
            .agent
            .post(url)
            .header("Content-Type", "application/json")
            .header("Saylau-Election", hex::encode(election))
            .send(json);
        self.read(url, answer, MAX_SMALL_ANSWER)
    }

    fn read(
        &self,
        url: &str,
        answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        limit: u64,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let transport = |error: ureq::Error| ClientError::Transport {
            url: url.to_string(),
            detail: error.to_string(),
        };
        let mut response = answer.map_err(transport)?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(transport)?;
        self.received
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        Ok((status, body))
    }
}

/// The certificates of a PEM file, as the only roots to trust.
fn trusted_roots(path: &Path) -> Result<RootCerts, ClientError> {
    let setup = |detail: String| ClientError::Setup(format!("--ca {}: {detail}", path.display()));
    let pem = saylau::record::read_bounded(path).map_err(|e| setup(e.to_string()))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::Certificate(certificate) = item.map_err(|e| setup(e.to_string()))? {
            certificates.push(certificate);
        }
    }
    if certificates.is_empty() {
        return Err(setup("holds no PEM certificate".into()));
    }
    Ok(RootCerts::new_with_certs(&certificates))
}

/// Turns an answer with a status not in `expected` into the board's refusal (or, if the body is
/// not the API's error JSON, an unexpected answer quoting its start).
fn expect_status(url: &str, status: u16, body: &[u8], expected: &[u16]) -> Result<(), ClientError> {
    if expected.contains(&status) {
        return Ok(());
    }
    Err(match BoardRefusal::parse(body) {
        Some(refusal) if status >= 400 => ClientError::Refused {
            url: url.to_string(),
            status,
            refusal: Box::new(refusal),
        },
        _ => ClientError::Unexpected {
            url: url.to_string(),
            status,
            detail: format!("expected {expected:?}: {}", quote(body)),
        },
    })
}

fn decode<T: DeserializeOwned>(url: &str, status: u16, body: &[u8]) -> Result<T, ClientError> {
    saylau::record::decode_json(url, None, body).map_err(|error| ClientError::Unexpected {
        url: url.to_string(),
        status,
        detail: format!("not the API's answer: {error}"),
    })
}

/// The first bytes of an answer, printable.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    if text.is_empty() {
        "(empty body)".into()
    } else {
        format!("{text:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_without_query() {
        for good in [
            "https://board.example",
            "http://127.0.0.1:8080/",
            "https://b.example/kz",
        ] {
            let board = Board::new(good, None).expect(good);
            assert!(!board.url().ends_with('/'), "{good}");
        }
        for bad in [
            "board.example",
            "ftp://board.example",
            "https://board.example/?x=1",
            "https://board.example/#f",
            "https://board example",
            "",
        ] {
            assert!(
                matches!(Board::new(bad, None), Err(ClientError::Setup(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let path = std::env::temp_dir().join(format!("saylau-ca-{}.pem", std::process::id()));
        std::fs::write(&path, "not a certificate\n").expect("write");
        let refused = Board::new("https://board.example", Some(&path));
        let _ = std::fs::remove_file(&path);
        assert!(matches!(refused, Err(ClientError::Setup(e)) if e.contains("no PEM certificate")));
    }
}
