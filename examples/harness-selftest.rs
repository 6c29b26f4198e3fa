//! Placeholder guest; replaced shortly.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod guest {
    xencall::entry!(main);
    fn main(_boot: &xencall::rt::BootInfo) {}
}

#[cfg(not(target_os = "none"))]
fn main() {}
