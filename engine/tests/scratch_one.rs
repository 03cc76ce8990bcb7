#[test]
fn one() {
    let b = std::fs::read_to_string("/tmp/weft_fail_base").unwrap();
    let o = std::fs::read_to_string("/tmp/weft_fail_ours").unwrap();
    let t = std::fs::read_to_string("/tmp/weft_fail_theirs").unwrap();
    let _ = weft_engine::merge::merge_texts(&b, &o, &t);
}
