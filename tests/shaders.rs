//! Every WGSL module wgact can build parses and validates with naga: a broken
//! shader fails `cargo test` on any machine, with or without an adapter.

use wgact::kernels::{Kernel, texture_source, wgsl_format};
use wgact::wgpu::naga;
use wgact::{Op, OpInfo};

fn validate(name: &str, src: &str) -> naga::Module {
    let module = naga::front::wgsl::parse_str(src)
        .unwrap_or_else(|e| panic!("{name} does not parse:\n{}", e.emit_to_string(src)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        // WGSL's f16 only in the modules that enable it (16-bit tensors on
        // adapters with shader-f16).
        if src.starts_with("enable f16;") {
            naga::valid::Capabilities::SHADER_FLOAT16
        } else {
            naga::valid::Capabilities::empty()
        },
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{name} does not validate:\n{}", e.emit_to_string(src)));
    module
}

#[test]
fn every_kernel_validates_and_has_its_entry_point() {
    let kernels = Kernel::all();
    // Every op of the table has kernels.
    for &op in Op::ALL {
        assert!(
            kernels
                .iter()
                .any(|k| k.module_name().starts_with(&format!("{}/", op.name()))),
            "{} has no kernel",
            op.name()
        );
    }
    let mut seen = std::collections::HashMap::new();
    for k in kernels {
        let name = k.module_name();
        let module = seen
            .entry(name.clone())
            .or_insert_with(|| validate(&name, &k.source()));
        assert!(
            module
                .entry_points
                .iter()
                .any(|e| e.name == k.entry() && e.stage == naga::ShaderStage::Compute),
            "{name} has no compute entry point {}",
            k.entry()
        );
    }
}

#[test]
fn every_texture_module_validates() {
    for &op in Op::ALL {
        let info: &OpInfo = op.info();
        if !info.on_textures() {
            continue;
        }
        for format in wgact::TEXTURE_FORMATS {
            let format = wgsl_format(format).expect("a supported format");
            validate(
                &format!("texture {}/{format}", info.name),
                &texture_source(op, format),
            );
        }
    }
}
