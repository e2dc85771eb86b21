//! Writes `protocol-spec/vectors/`: `cargo run --example vectors`.

#[path = "../tests/common/vectors.rs"]
mod vectors;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol-spec/vectors");
    for (name, text) in vectors::generate() {
        std::fs::write(dir.join(name), text).expect("write vector");
        println!("wrote protocol-spec/vectors/{name}");
    }
    let election = dir.join("election");
    saylau::sim::demo::run(&vectors::election_config(&election)).expect("small election");
    println!("wrote protocol-spec/vectors/election/");
}
