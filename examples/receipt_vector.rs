//! Writes `protocol-spec/vectors/receipt_v2.json`: `cargo run --example receipt_vector`.

#[path = "../tests/common/receipt_vector.rs"]
mod receipt_vector;

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("protocol-spec/vectors")
        .join(receipt_vector::RECEIPT_VECTOR);
    std::fs::write(&path, receipt_vector::receipt_v2()).expect("write the vector");
    println!("wrote {}", path.display());
}
