//! Every op's backward against the f64 reference, within its documented
//! bound (the op table's `grad_bound`), on the adapter the environment
//! picks: the forward sweep's inputs, random and special upstream
//! gradients, kinks, special values; plus the paths (in place, chains,
//! caller's encoder, several bindings and buffers).

mod common;
use common::ctx;
use wgact::{Activation, Context, ContextOptions, Op, verify};

#[test]
fn every_backward_is_within_its_bound() {
    let reports = verify::run_grad(ctx(), Op::ALL, 2000, false).unwrap();
    let mut failed = Vec::new();
    for r in &reports {
        eprintln!(
            "{:<28} {:>4} ULP (bound {}) worst {:?}",
            r.name, r.stats.max_ulp, r.bound, r.stats.worst
        );
        if !r.passed() {
            failed.push(r.name.clone());
        }
    }
    assert!(failed.is_empty(), "over their bounds: {failed:?}");
}

/// `WGACT_GRAD_DEBUG=op cargo test --test backward debug -- --ignored`:
/// every element of `op`'s sweep past its bound, with its parameters.
#[test]
#[ignore]
fn debug() {
    let Ok(name) = std::env::var("WGACT_GRAD_DEBUG") else {
        return;
    };
    let op = Op::from_name(&name).expect("an op");
    let c = ctx();
    let sweep = verify::sweep_inputs(0x5eed, 2000);
    for act in verify::param_sets(op) {
        let mut x = verify::inputs_for(&act, &sweep);
        let mut dy = verify::grad_dy(x.len() as u64, x.len(), 37);
        let specials = verify::special_values();
        for &d in &verify::grad_dy(1, 12, 1) {
            x.extend(&specials);
            dy.extend(std::iter::repeat_n(d, specials.len()));
        }
        let got = verify::gpu_grad(c, &act, &x, None, &dy, &[x.len()]).unwrap();
        let want = wgact::cpu::backward(&act, &x, &dy, &[x.len()]).unwrap();
        let mut n = 0;
        for i in 0..x.len() {
            let e = wgact::ulp::ulp_error(want[i], got[i]);
            if e > act.info().grad_bound.short && n < 8 {
                n += 1;
                eprintln!(
                    "{act}: x {:e} dy {:e} want {:e} got {:e} ({e} ULP)",
                    x[i], dy[i], want[i], got[i]
                );
            }
        }
    }
}
