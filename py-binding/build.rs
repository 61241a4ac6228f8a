//! Exposes PyO3's interpreter cfgs (`Py_LIMITED_API`, `Py_3_10`, ...) to this crate:
//! the version-specific build takes faster paths than the abi3 one (`src/server/resume.rs`).
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
