//! The shipped import profiles ingest their raw example exports to exactly the frames
//! of the equivalent canonical CSV (acceptance: profiles are faithful).

use std::path::PathBuf;

use apsp_core::ingest::{IngestOptions, Profile};
use apsp_core::{read_dataset, Table};

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn raw_exports_match_canonical_frames() {
    let profiles = ["carrier_itemised.toml", "fleet_telematics.toml"]
        .iter()
        .map(|p| Profile::load(&examples().join("profiles").join(p)).unwrap())
        .collect();
    let raw = read_dataset(
        &examples().join("raw"),
        &IngestOptions {
            profiles,
            ..IngestOptions::default()
        },
    )
    .unwrap();
    let canonical =
        read_dataset(&examples().join("raw-canonical"), &IngestOptions::default()).unwrap();
    assert_eq!(raw.quarantined(), 0, "{:?}", raw.quarantine);
    assert_eq!(canonical.quarantined(), 0);
    for t in [Table::Billing, Table::Stops] {
        let a = raw
            .table(t)
            .unwrap()
            .drop_many(["source_file", "source_line"]);
        let b = canonical
            .table(t)
            .unwrap()
            .drop_many(["source_file", "source_line"]);
        assert!(a.height() > 20, "{t}: {} rows", a.height());
        assert!(a.equals_missing(&b), "{t} differs:\n{a}\n{b}");
        assert_eq!(a.schema(), b.schema());
    }
}
