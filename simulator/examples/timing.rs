//! Times `Directory::generate` (`cargo run --release --example timing -- 100000`).
fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let t = std::time::Instant::now();
    let d = mx_sim::exchange::Directory::generate(n, 1);
    println!("generate({n}): {} recipients in {:?}", d.len(), t.elapsed());
}
