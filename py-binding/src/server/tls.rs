//! The ASGI `tls` extension: what the TLS handshake of a request's connection
//! settled, as the scope's `extensions["tls"]` dictionary.

use base64::Engine;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use server_smol::TlsInfo;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::X509Name;

/// `extensions["tls"]` for one request. `server_cert` is the server's own
/// certificate in PEM, made once at start.
pub(super) fn scope_entry<'py>(
    py: Python<'py>,
    info: &TlsInfo,
    server_cert: Option<&Py<PyString>>,
) -> PyResult<Bound<'py, PyDict>> {
    let entry = PyDict::new(py);
    entry.set_item(pyo3::intern!(py, "server_cert"), server_cert)?;
    let chain = PyList::empty(py);
    for cert in info.peer_certificates() {
        chain.append(pem(cert))?;
    }
    // Only a chain the configured authorities accepted reaches a request (the
    // handshake fails otherwise), so there is never an error to report.
    let name = info
        .peer_certificates()
        .first()
        .and_then(|cert| X509Certificate::from_der(cert).ok())
        .map(|(_, cert)| distinguished_name(cert.subject()));
    entry.set_item(pyo3::intern!(py, "client_cert_chain"), chain)?;
    entry.set_item(pyo3::intern!(py, "client_cert_name"), name)?;
    entry.set_item(pyo3::intern!(py, "client_cert_error"), py.None())?;
    entry.set_item(pyo3::intern!(py, "tls_version"), info.protocol_version())?;
    entry.set_item(pyo3::intern!(py, "cipher_suite"), info.cipher_suite())?;
    Ok(entry)
}

/// The first certificate of a PEM file, as PEM (RFC 7468 §5); `None` if the file
/// holds none.
pub(super) fn first_certificate_pem(path: &std::path::Path) -> Option<String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let cert = CertificateDer::pem_file_iter(path).ok()?.next()?.ok()?;
    Some(pem(&cert))
}

/// DER as a PEM `CERTIFICATE` block: base64 in lines of 64 (RFC 7468 §2).
fn pem(der: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut text = String::with_capacity(encoded.len() + encoded.len() / 64 + 64);
    text.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        // Base64 output is ASCII.
        text.push_str(std::str::from_utf8(line).unwrap_or_default());
        text.push('\n');
    }
    text.push_str("-----END CERTIFICATE-----\n");
    text
}

/// A distinguished name as RFC 4514 §2 writes it: the RDNs last to first, `,`
/// between them, `+` inside a multi-valued one, short names for the attribute
/// types that have one and dotted decimal otherwise, and values that are not
/// strings as `#` and their DER in hex (§2.4).
fn distinguished_name(name: &X509Name<'_>) -> String {
    let registry = x509_parser::objects::oid_registry();
    let rdns: Vec<_> = name.iter().collect();
    let mut text = String::new();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            text.push(',');
        }
        for (j, attribute) in rdn.iter().enumerate() {
            if j > 0 {
                text.push('+');
            }
            let kind = attribute.attr_type();
            match x509_parser::objects::oid2abbrev(kind, registry) {
                Ok(short) => text.push_str(short),
                Err(_) => text.push_str(&kind.to_id_string()),
            }
            text.push('=');
            match attribute.as_str() {
                Ok(value) => escape_value(value, &mut text),
                Err(_) => hex_value(attribute.attr_value(), &mut text),
            }
        }
    }
    text
}

/// A value that is not a string the parser reads (a BMPString, say) as RFC 4514
/// §2.4 allows: `#` and its DER encoding in hex. Attribute values are universal,
/// primitive types with a small tag number.
fn hex_value(value: &x509_parser::asn1_rs::Any<'_>, out: &mut String) {
    use std::fmt::Write;
    let data = value.as_bytes();
    let mut der = vec![u8::try_from(value.tag().0).unwrap_or(0x1f) & 0x1f];
    match u8::try_from(data.len()) {
        Ok(len) if len < 0x80 => der.push(len),
        _ => {
            let len = data.len().to_be_bytes();
            let skip = len.iter().take_while(|&&b| b == 0).count();
            der.push(0x80 | u8::try_from(len.len() - skip).unwrap_or(0));
            der.extend_from_slice(&len[skip..]);
        }
    }
    der.extend_from_slice(data);
    out.push('#');
    for byte in der {
        let _ = write!(out, "{byte:02x}");
    }
}

/// RFC 4514 §2.4: the characters that would end or split a value are escaped,
/// and so are a leading space or `#` and a trailing space.
fn escape_value(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let edge_space = c == ' ' && (i == 0 || i == last);
        if matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || edge_space
            || (c == '#' && i == 0)
        {
            out.push('\\');
            out.push(c);
        } else if c == '\0' {
            out.push_str("\\00");
        } else {
            out.push(c);
        }
    }
}
