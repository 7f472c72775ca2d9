//! Out of memory: a tensor the device cannot hold is a typed error before any
//! work starts, and a failed allocation leaves the context usable. Each test
//! makes its own context, since budgets are per context.

mod common;
use common::random;
use wgact::{Activation, Context, Error};

fn oom(r: Result<impl std::fmt::Debug, Error>, what: &str) -> String {
    match r {
        Err(Error::OutOfMemory(m)) => m,
        other => panic!("{what}: expected OutOfMemory, got {other:?}"),
    }
}

/// Results of `act` on `x` checked against the f64 reference within the
/// op's bound.
fn check(act: &Activation, x: &[f32], got: &[f32]) {
    let stats = wgact::verify::compare(act, x, &[x.len()], got).unwrap();
    let bound = wgact::verify::bound(act, x.len());
    assert!(
        stats.max_ulp <= bound,
        "{act}: {} ULP at {:?}",
        stats.max_ulp,
        stats.worst
    );
}

/// CPU adapters (these machines) get a budget from the host's memory; a
/// tensor far past it is refused before a single buffer is made.
#[test]
fn a_tensor_larger_than_the_device_is_refused_before_any_work() {
    let c = Context::new().unwrap();
    let cpu = c
        .adapter_info()
        .is_some_and(|i| i.device_type == wgpu::DeviceType::Cpu);
    if cpu {
        assert!(c.memory_budget().is_some(), "CPU adapters have a budget");
    } else {
        // A GPU has no default budget: give it one as large as the test needs.
        c.set_memory_budget(Some(1 << 36));
    }
    let before = (c.live_resources(), c.memory_in_use(), c.submissions());
    let huge = [1usize << 40]; // 4 TiB of f32
    let m = oom(c.zeros(&huge), "zeros");
    assert!(m.contains("budget"), "{m}");
    oom(c.empty(&huge), "empty");
    assert_eq!(
        (
            c.live_resources().buffers,
            c.memory_in_use(),
            c.submissions()
        ),
        (before.0.buffers, before.1, before.2),
        "a refused tensor leaves nothing behind"
    );
    let x = c.upload(&[-1.0, 7.0], &[2]).unwrap();
    assert_eq!(
        c.read(&c.apply(&Activation::Relu6, &x).unwrap()).unwrap(),
        [0.0, 6.0]
    );
}

/// An op whose output would pass the budget is refused before it runs; the
/// input is untouched and, with room again, the same call succeeds.
#[test]
fn an_op_output_past_the_budget_is_refused_and_the_context_recovers() {
    let c = Context::new().unwrap();
    let data = random(1 << 16, 7);
    let x = c.upload(&data, &[1 << 16]).unwrap();
    let held = c.memory_in_use();
    assert!(held >= 4 << 16, "the input is charged: {held}");
    c.set_memory_budget(Some(held + 1024));
    for act in [Activation::Sigmoid, Activation::Softmax { axis: -1 }] {
        oom(c.apply(&act, &x), "apply");
    }
    // Reading back needs a staging buffer as large as the tensor.
    oom(c.read(&x), "read");
    c.set_memory_budget(None);
    let y = c.apply(&Activation::Sigmoid, &x).unwrap();
    check(&Activation::Sigmoid, &data, &c.read(&y).unwrap());
    assert_eq!(c.read(&x).unwrap(), data, "the input is untouched");
}

/// A chain whose second output does not fit fails at that op; dropping the
/// chain gives everything back, and the context runs the next chain right.
#[test]
fn an_allocation_failure_inside_a_chain_leaves_the_context_usable() {
    let c = Context::new().unwrap();
    let n = 1 << 16;
    let data = random(n, 11);
    let x = c.upload(&data, &[n]).unwrap();
    let base = c.memory_in_use();
    // Room for exactly one more tensor of x's size.
    c.set_memory_budget(Some(base + 4 * n as u64));
    {
        let mut chain = c.chain();
        let h = chain.apply(&Activation::Sigmoid, &x).unwrap();
        oom(chain.apply(&Activation::Tanh, &h), "second op in a chain");
        // The chain is dropped unsubmitted: its buffers go back.
    }
    assert!(c.memory_in_use() <= base + 4 * n as u64);
    // The same budget still holds one op at a time: a chain that reuses its
    // intermediate in place fits, and gives the right answer.
    let mut chain = c.chain();
    let mut h = chain.apply(&Activation::Sigmoid, &x).unwrap();
    chain.apply_inplace(&Activation::Tanh, &mut h).unwrap();
    c.set_memory_budget(None);
    let got = chain.read(&[&h]).unwrap().remove(0);
    let mid: Vec<f32> = c.read(&c.apply(&Activation::Sigmoid, &x).unwrap()).unwrap();
    check(&Activation::Tanh, &mid, &got);
    drop(h);
    // h's buffer went back to the pool, still charged: a call that needs
    // the room drops the pool's free buffers rather than fail.
    c.set_memory_budget(Some(base + 4 * n as u64));
    let y = c.apply(&Activation::Sigmoid, &x).unwrap();
    assert_eq!(c.memory_in_use(), base + 4 * n as u64);
    c.set_memory_budget(None);
    check(&Activation::Sigmoid, &data, &c.read(&y).unwrap());
}
