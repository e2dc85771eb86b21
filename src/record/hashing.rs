//! File hashes (spec `record.md` §2): small files in one message, large files block by block,
//! hashed in parallel as they are streamed.

use super::error::RecordError;
use super::files::regular_file_metadata;
use crate::crypto::digest::{tagged_hash, Hash};
use rayon::prelude::*;
use std::fs;
use std::path::Path;

/// Files up to this many bytes are hashed as one message; larger files block by block, so
/// that their blocks can be hashed in parallel (spec `record.md` §2).
pub const FILE_BLOCK: usize = 1 << 20;

/// The hash of a record file's bytes (spec `record.md` §2).
pub fn file_hash(bytes: &[u8]) -> Hash {
    if bytes.len() <= FILE_BLOCK {
        return tagged_hash("saylau/v1/file", &[bytes]);
    }
    let blocks: Vec<Hash> = bytes.par_chunks(FILE_BLOCK).map(block_hash).collect();
    let mut outer = blocks_hasher(bytes.len() as u64);
    for block in &blocks {
        sha3::Digest::update(&mut outer, block);
    }
    sha3::Digest::finalize(outer).into()
}

/// `h_i`: the hash of one block of a large file (spec `record.md` §2).
fn block_hash(block: &[u8]) -> Hash {
    tagged_hash("saylau/v1/file-block", &[block])
}

/// The hash of a file of `length > FILE_BLOCK` bytes, ready for its block hashes in order:
/// `TH("saylau/v1/file-blocks", [LE64(length), h_0 ‖ … ‖ h_(n−1)])`, fed incrementally.
fn blocks_hasher(length: u64) -> sha3::Sha3_256 {
    use sha3::Digest;
    let tag = b"saylau/v1/file-blocks";
    let blocks = length.div_ceil(FILE_BLOCK as u64);
    let mut hasher = sha3::Sha3_256::new();
    hasher.update((tag.len() as u64).to_le_bytes());
    hasher.update(tag);
    hasher.update(8u64.to_le_bytes());
    hasher.update(length.to_le_bytes());
    hasher.update((32 * blocks).to_le_bytes());
    hasher
}

/// A file opened for reading, hashed as it is read: the file hash of the bytes read, checked
/// against the length the file had when opened.
pub struct HashedFile {
    name: String,
    file: fs::File,
    hasher: FileHasher,
    length: u64,
    read: u64,
}

/// Blocks handed to the thread pool and not yet folded into the outer hash, at most: 8 MiB per
/// thread of the pool. The verifier's reader runs one chunk of `ballots.jsonl` ahead (about
/// 6.7 MB per thread, `batch.md §4.6`) while the pool is busy with the current one, so it never
/// waits for a block hash; memory stays bounded by the pool's size, not the file's.
fn pending_blocks() -> usize {
    8 * rayon::current_num_threads().max(1)
}

/// The file hash of `record.md` §2, fed incrementally. A large file's full blocks are hashed on
/// the rayon pool while the caller reads on, and their hashes are taken back in order.
enum FileHasher {
    /// A file of up to [`FILE_BLOCK`] bytes: `TH("saylau/v1/file", [bytes])`.
    Whole(sha3::Sha3_256),
    /// A larger file: the outer hash, the block being filled, and the hashes on their way.
    Blocks {
        outer: sha3::Sha3_256,
        block: Vec<u8>,
        pending: std::collections::VecDeque<std::sync::mpsc::Receiver<Hash>>,
    },
}

impl FileHasher {
    fn new(length: u64) -> Self {
        use sha3::Digest;
        if length > FILE_BLOCK as u64 {
            return Self::Blocks {
                outer: blocks_hasher(length),
                block: Vec::with_capacity(FILE_BLOCK),
                pending: Default::default(),
            };
        }
        // Same bytes as tagged_hash("saylau/v1/file", [content]).
        let tag = b"saylau/v1/file";
        let mut hasher = sha3::Sha3_256::new();
        hasher.update((tag.len() as u64).to_le_bytes());
        hasher.update(tag);
        hasher.update(length.to_le_bytes());
        Self::Whole(hasher)
    }

    fn update(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        use sha3::Digest;
        match self {
            Self::Whole(hasher) => hasher.update(bytes),
            Self::Blocks {
                outer,
                block,
                pending,
            } => {
                while !bytes.is_empty() {
                    let take = bytes.len().min(FILE_BLOCK - block.len());
                    block.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if block.len() == FILE_BLOCK {
                        let full = std::mem::replace(block, Vec::with_capacity(FILE_BLOCK));
                        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
                        let job = move || {
                            // The receiver is gone only if the hasher was dropped unfinished.
                            let _ = sender.send(block_hash(&full));
                        };
                        // On the global pool: its threads take these jobs when they run out
                        // of ballot batches, at the end of each chunk, where they would idle.
                        // A thread of a pool hashes the block itself: waiting for its pool's
                        // jobs could deadlock if every thread of the pool were waiting too.
                        if rayon::current_thread_index().is_some() {
                            job();
                        } else {
                            rayon::spawn(job);
                        }
                        pending.push_back(receiver);
                        while pending.len() > pending_blocks() {
                            take_block_hash(outer, pending)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> std::io::Result<Hash> {
        use sha3::Digest;
        match self {
            Self::Whole(hasher) => Ok(hasher.finalize().into()),
            Self::Blocks {
                mut outer,
                block,
                mut pending,
            } => {
                while !pending.is_empty() {
                    take_block_hash(&mut outer, &mut pending)?;
                }
                if !block.is_empty() {
                    outer.update(block_hash(&block));
                }
                Ok(outer.finalize().into())
            }
        }
    }
}

/// Folds the oldest pending block hash into the outer hash, waiting for it.
fn take_block_hash(
    outer: &mut sha3::Sha3_256,
    pending: &mut std::collections::VecDeque<std::sync::mpsc::Receiver<Hash>>,
) -> std::io::Result<()> {
    if let Some(receiver) = pending.pop_front() {
        // Only a job that ended without sending (a panic, which rayon turns into an abort)
        // leaves the channel empty.
        let hash = receiver
            .recv()
            .map_err(|_| std::io::Error::other("a block of the file was not hashed"))?;
        sha3::Digest::update(outer, hash);
    }
    Ok(())
}

impl HashedFile {
    /// Opens `dir/name` for hashed reading.
    pub fn open(dir: &Path, name: &str) -> Result<Self, RecordError> {
        let path = dir.join(name);
        let length = regular_file_metadata(&path, name)?.len();
        let file = fs::File::open(&path).map_err(|e| RecordError::io(name, e))?;
        Ok(Self {
            name: name.into(),
            file,
            hasher: FileHasher::new(length),
            length,
            read: 0,
        })
    }

    /// The file hash, once every byte was read: an error if the file's length changed since
    /// it was opened.
    pub fn finish(self) -> Result<Hash, RecordError> {
        if self.read != self.length {
            return Err(RecordError::io(
                &self.name,
                std::io::Error::other("file changed while being hashed"),
            ));
        }
        self.hasher
            .finish()
            .map_err(|error| RecordError::io(&self.name, error))
    }
}

impl std::io::Read for HashedFile {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.file.read(buffer)?;
        self.hasher.update(&buffer[..read])?;
        self.read += read as u64;
        Ok(read)
    }
}

/// Streams a file through the file hash without holding it in memory; a large file's blocks
/// are hashed in parallel.
pub fn hash_file(dir: &Path, name: &str) -> Result<Hash, RecordError> {
    let mut file = std::io::BufReader::with_capacity(FILE_BLOCK, HashedFile::open(dir, name)?);
    std::io::copy(&mut file, &mut std::io::sink()).map_err(|e| RecordError::io(name, e))?;
    file.into_inner().finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::*;

    #[test]
    fn streamed_file_hash_matches_tagged_hash() {
        let dir = std::env::temp_dir().join(format!("saylau-record-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let bytes = b"{\"a\": 1}\n".repeat(1000);
        fs::write(dir.join("x.json"), &bytes).unwrap();
        assert_eq!(hash_file(&dir, "x.json").unwrap(), file_hash(&bytes));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The file hash as `record.md` §2 writes it, computed naively.
    fn file_hash_by_the_spec(bytes: &[u8]) -> Hash {
        if bytes.len() <= FILE_BLOCK {
            return tagged_hash("saylau/v1/file", &[bytes]);
        }
        let blocks: Vec<u8> = bytes
            .chunks(FILE_BLOCK)
            .flat_map(|block| tagged_hash("saylau/v1/file-block", &[block]))
            .collect();
        let length = (bytes.len() as u64).to_le_bytes();
        tagged_hash("saylau/v1/file-blocks", &[&length, &blocks])
    }

    #[test]
    fn large_files_hash_block_by_block_in_every_reader() {
        let dir = std::env::temp_dir().join(format!("saylau-blocks-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let block = FILE_BLOCK;
        for length in [
            0,
            1,
            block - 1,
            block,
            block + 1,
            3 * block,
            8 * block + 5,
            9 * block,
            // More blocks than may wait for the pool at once.
            (pending_blocks() + 3) * block + 7,
        ] {
            let bytes: Vec<u8> = (0..length).map(|i| (i % 251) as u8).collect();
            let expected = file_hash_by_the_spec(&bytes);
            assert_eq!(file_hash(&bytes), expected, "in memory, {length} bytes");
            fs::write(dir.join("x.jsonl"), &bytes).unwrap();
            assert_eq!(
                hash_file(&dir, "x.jsonl").unwrap(),
                expected,
                "parallel stream, {length} bytes"
            );
            let mut streamed = HashedFile::open(&dir, "x.jsonl").unwrap();
            std::io::copy(&mut streamed, &mut std::io::sink()).unwrap();
            assert_eq!(
                streamed.finish().unwrap(),
                expected,
                "reader, {length} bytes"
            );
        }
        // A block of the large form is not a small file: the forms differ.
        let small = vec![7u8; block];
        let large = vec![7u8; block + 1];
        assert_ne!(file_hash(&large), tagged_hash("saylau/v1/file", &[&large]));
        assert_eq!(file_hash(&small), tagged_hash("saylau/v1/file", &[&small]));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hashing_inside_the_thread_pool_does_not_wait_for_the_pool() {
        // Every thread of a pool hashes a large file at once: none may wait for jobs that only
        // the pool's (busy) threads could run.
        let dir = std::env::temp_dir().join(format!("saylau-pool-hash-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let bytes: Vec<u8> = (0..3 * FILE_BLOCK + 1).map(|i| (i % 13) as u8).collect();
        fs::write(dir.join("x.jsonl"), &bytes).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let path = dir.clone();
        std::thread::spawn(move || {
            let hashes: Vec<Hash> = pool.install(|| {
                (0..8)
                    .into_par_iter()
                    .map(|_| hash_file(&path, "x.jsonl").unwrap())
                    .collect()
            });
            let _ = sender.send(hashes);
        });
        // A deadlock detector, not a speed test: the work takes well under a second.
        let hashes = receiver
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("hashing inside the pool deadlocked");
        assert!(hashes.iter().all(|hash| *hash == file_hash(&bytes)));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lines_reader_hashes_what_it_reads() {
        let dir = std::env::temp_dir().join(format!("saylau-lines-hash-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for length in [10, FILE_BLOCK - 3, 3 * FILE_BLOCK + 100] {
            // Lines of 100 bytes, the last one cut to fit, all ending in a line feed.
            let mut bytes: Vec<u8> = (0..length)
                .map(|i| {
                    if i % 100 == 99 {
                        b'\n'
                    } else {
                        b'a' + (i % 26) as u8
                    }
                })
                .collect();
            *bytes.last_mut().unwrap() = b'\n';
            fs::write(dir.join("x.jsonl"), &bytes).unwrap();
            let reader = LinesReader::open_hashed(&dir, "x.jsonl").unwrap();
            let mut lines = 0;
            let (reader, read_to_end) = read_ahead(reader, 1000, |chunk, error| {
                assert!(error.is_none());
                lines += chunk.len();
                true
            });
            assert!(read_to_end);
            assert_eq!(lines, length.div_ceil(100), "{length} bytes");
            assert_eq!(
                reader.file_hash().unwrap(),
                file_hash(&bytes),
                "{length} bytes"
            );
        }
        // A reader stopped before the end has not seen the whole file.
        let reader = LinesReader::open_hashed(&dir, "x.jsonl").unwrap();
        let (reader, read_to_end) = read_ahead(reader, 10, |_, _| false);
        assert!(!read_to_end);
        assert!(reader.file_hash().is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn credentials_are_hashed_as_they_are_streamed() {
        let dir = std::env::temp_dir().join(format!("saylau-creds-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let encoding = hex::encode(crate::crypto::group::G.compress().as_bytes());
        let bytes = format!("{{\"credentials\": [\"{encoding}\", \"{encoding}\"]}}\n \n");
        fs::write(dir.join(CREDENTIALS), &bytes).unwrap();
        let (encodings, hash) = read_credential_encodings(&dir).unwrap();
        assert_eq!(encodings.len(), 2);
        assert_eq!(hash, file_hash(bytes.as_bytes()));
        fs::write(dir.join(CREDENTIALS), format!("{bytes}x")).unwrap();
        assert!(read_credential_encodings(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
