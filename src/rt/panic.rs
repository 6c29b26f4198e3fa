//! The panic handler (feature `panic-handler`): report and exit with
//! failure, naming the running test case if there is one.

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::rt::testing::report_crash(format_args!("{info}"));
    crate::rt::exit(crate::rt::ExitStatus::Failure)
}
