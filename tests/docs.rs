//! The README documents every op of the table: its semantics table is the
//! one generated from the table (`wgact apply --list --markdown`), and its
//! accuracy table has a row for every op.

const BEGIN: &str = "<!-- op-table:begin -->\n";
const END: &str = "<!-- op-table:end -->";

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn readme_semantics_table_is_the_op_table() {
    let r = readme();
    let start = r.find(BEGIN).expect("README has the op-table markers") + BEGIN.len();
    let end = r[start..].find(END).expect("end marker") + start;
    assert_eq!(
        &r[start..end],
        wgact::table::markdown(),
        "README's op table is stale: paste `cargo run --release -- apply --list --markdown`"
    );
}

#[test]
fn readme_accuracy_table_has_every_op() {
    let r = readme();
    let acc = &r[r.find("## Accuracy").expect("an Accuracy section")..];
    for op in wgact::Op::ALL {
        assert!(
            acc.lines()
                .any(|l| l.starts_with(&format!("| {} ", op.name()))
                    || l.starts_with(&format!("| {} (", op.name()))),
            "the accuracy table has no row for {}",
            op.name()
        );
    }
}
