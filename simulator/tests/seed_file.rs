//! The committed default seed is what `generate_seed(300, 2016)` produces; set
//! `MX_SIM_WRITE_SEED=1` to rewrite it after changing the generator.

use mx_sim::exchange::generate::generate_seed;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/default.json");

#[test]
fn default_seed_matches_generator() {
    let seed = generate_seed(300, 2016);
    let json = serde_json::to_string_pretty(&seed).expect("serialize") + "\n";
    if std::env::var_os("MX_SIM_WRITE_SEED").is_some() {
        std::fs::write(PATH, &json).expect("write seed");
    }
    let committed = std::fs::read_to_string(PATH).expect("read seed");
    assert_eq!(committed, json, "seed/default.json is stale");
}
