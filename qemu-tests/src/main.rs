//! `cargo qemu`: placeholder until the runner lands.
fn main() {
    eprintln!("cargo qemu: not implemented yet");
    std::process::exit(2);
}
