//! Every WGSL module parses and validates with naga: a broken shader fails
//! `cargo test` on any machine, with or without an adapter.

use wgact::kernels::{Kernel, sources};
use wgact::wgpu::naga;

#[test]
fn every_shader_module_validates() {
    for (name, src) in sources::ALL {
        let module = naga::front::wgsl::parse_str(src)
            .unwrap_or_else(|e| panic!("{name}.wgsl does not parse:\n{}", e.emit_to_string(src)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::empty(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}.wgsl does not validate:\n{}", e.emit_to_string(src)));
    }
}

#[test]
fn every_texture_module_validates() {
    for (name, op_fn) in sources::ELEMENTWISE_FNS {
        for format in wgact::TEXTURE_FORMATS {
            let format = wgact::kernels::wgsl_format(format).expect("a supported format");
            let src = wgact::kernels::texture_source(op_fn, format);
            let module = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| {
                panic!(
                    "texture {name}/{format} does not parse:\n{}",
                    e.emit_to_string(&src)
                )
            });
            naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::empty(),
            )
            .validate(&module)
            .unwrap_or_else(|e| {
                panic!(
                    "texture {name}/{format} does not validate:\n{}",
                    e.emit_to_string(&src)
                )
            });
        }
    }
}

#[test]
fn every_kernel_entry_point_exists() {
    for k in Kernel::ALL {
        let (name, src, entry) = k.source();
        let module = naga::front::wgsl::parse_str(src).expect("parses");
        assert!(
            module
                .entry_points
                .iter()
                .any(|e| e.name == entry && e.stage == naga::ShaderStage::Compute),
            "{name}.wgsl has no compute entry point {entry}"
        );
    }
}
