//! Proxy headers (uvicorn's `--proxy-headers`, `--forwarded-allow-ips`): the client
//! address and scheme a trusted reverse proxy reports, from `Forwarded` (RFC 7239) or,
//! without it, `X-Forwarded-For` / `X-Forwarded-Proto`.
//!
//! Applied while the scope is built rather than by a Python middleware: the check runs
//! for every request (the default trusts 127.0.0.1, where a benchmark client or a local
//! proxy connects from), and in Rust a request without those fields costs a comparison
//! of the peer's address and one pass over the field names.

use std::net::IpAddr;

use server_smol::Headers;

/// The peers whose proxy headers are believed: `*`, addresses (and literals such as a
/// UNIX socket path, uvicorn's rule) and networks. Python's `ProxyTrust` checks and
/// normalizes the option; this is what it hands over.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProxyTrust {
    everyone: bool,
    addresses: Vec<IpAddr>,
    /// Entries that are not addresses, compared as written.
    literals: Vec<String>,
    /// Network address and prefix length.
    networks: Vec<(IpAddr, u8)>,
}

impl ProxyTrust {
    /// From `everyone`, the host entries and the networks (`"10.0.0.0/8"`); the
    /// error is the network that is not one.
    pub(crate) fn new(
        everyone: bool,
        hosts: Vec<String>,
        networks: &[String],
    ) -> Result<Self, String> {
        let mut trust = Self {
            everyone,
            ..Self::default()
        };
        for host in hosts {
            match host.parse::<IpAddr>() {
                Ok(ip) => trust.addresses.push(ip),
                Err(_) => trust.literals.push(host),
            }
        }
        for network in networks {
            let parsed = network.split_once('/').and_then(|(address, prefix)| {
                let address = address.parse::<IpAddr>().ok()?;
                let prefix = prefix.parse::<u8>().ok()?;
                let bits = if address.is_ipv4() { 32 } else { 128 };
                (prefix <= bits).then_some((address, prefix))
            });
            trust.networks.push(parsed.ok_or_else(|| network.clone())?);
        }
        Ok(trust)
    }

    /// Whether the connection's peer is trusted; a peer without an address (a UNIX
    /// socket) only by `*`.
    pub(crate) fn trusts_peer(&self, peer: Option<IpAddr>) -> bool {
        self.everyone || peer.is_some_and(|ip| self.trusts_ip(ip))
    }

    fn trusts_ip(&self, ip: IpAddr) -> bool {
        self.addresses.contains(&ip)
            || self
                .networks
                .iter()
                .any(|&(network, prefix)| in_network(ip, network, prefix))
    }

    /// Whether a hop named in a header is a trusted proxy.
    fn trusts_host(&self, host: &str) -> bool {
        if self.everyone {
            return true;
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => self.trusts_ip(ip),
            Err(_) => self.literals.iter().any(|literal| literal == host),
        }
    }
}

fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

/// What the proxies report about the request, for the scope.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Forwarded {
    /// `(host, port)`: the port is 0 where the header gives none.
    pub(crate) client: Option<(String, u16)>,
    /// Lower-cased, and only `http`, `https`, `ws` or `wss`.
    pub(crate) scheme: Option<&'static str>,
}

/// One hop of the chain, first (farthest) hop first.
struct Hop {
    node: Option<(String, u16)>,
    proto: Option<String>,
}

/// The client and scheme `headers` report, once the peer is known to be trusted.
/// The client is the nearest hop that is not itself a trusted proxy (each trusted
/// proxy on the way appended the address it saw), so a client cannot pass itself off
/// as another by sending the fields itself; if every hop is trusted, the farthest is.
pub(crate) fn forwarded(trust: &ProxyTrust, headers: &Headers) -> Forwarded {
    let mut forwarded: Option<String> = None;
    let mut forwarded_for: Option<String> = None;
    let mut proto: Option<String> = None;
    let join = |to: &mut Option<String>, value: &[u8]| match to {
        Some(joined) => {
            joined.push(',');
            joined.push_str(&latin1(value));
        }
        None => *to = Some(latin1(value)),
    };
    for (name, value) in headers.iter() {
        if name.eq_ignore_ascii_case(b"forwarded") {
            join(&mut forwarded, value);
        } else if name.eq_ignore_ascii_case(b"x-forwarded-for") {
            join(&mut forwarded_for, value);
        } else if name.eq_ignore_ascii_case(b"x-forwarded-proto") {
            proto = Some(latin1(value));
        }
    }
    let hops = match forwarded {
        Some(forwarded) => forwarded_hops(&forwarded),
        None => x_forwarded_hops(forwarded_for.as_deref(), proto.as_deref()),
    };
    choose(trust, hops)
}

/// The hops of a `Forwarded` field (RFC 7239 §4): comma-separated elements of
/// `;`-separated `name=value` pairs, names case-insensitive (§5), values tokens or
/// quoted strings.
fn forwarded_hops(value: &str) -> Vec<Hop> {
    value
        .split(',')
        .map(|element| {
            let mut node = None;
            let mut proto = None;
            for pair in element.split(';') {
                let Some((name, token)) = pair.split_once('=') else {
                    continue;
                };
                let token = token.trim().trim_matches('"');
                let name = name.trim();
                if name.eq_ignore_ascii_case("for") {
                    node = Some(token);
                } else if name.eq_ignore_ascii_case("proto") {
                    proto = Some(token.to_owned());
                }
            }
            Hop {
                node: node.filter(|n| !n.is_empty()).map(parse_node),
                proto,
            }
        })
        .collect()
}

/// The hops of `X-Forwarded-For`, with the last `X-Forwarded-Proto` value as the
/// protocol the nearest one saw.
fn x_forwarded_hops(forwarded_for: Option<&str>, proto: Option<&str>) -> Vec<Hop> {
    let mut hops: Vec<Hop> = forwarded_for
        .map(|value| {
            value
                .split(',')
                .map(|host| Hop {
                    node: Some((host.trim().to_owned(), 0)),
                    proto: None,
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(proto) = proto {
        let last = proto
            .rsplit(',')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        match hops.last_mut() {
            Some(hop) => hop.proto = Some(last),
            None => hops.push(Hop {
                node: None,
                proto: Some(last),
            }),
        }
    }
    hops
}

/// An RFC 7239 §6 node (`192.0.2.1`, `"[2001:db8::1]:8080"`, `_hidden`, `unknown`) as
/// `(host, port)`; obfuscated and unknown nodes have no address but still name a hop.
fn parse_node(node: &str) -> (String, u16) {
    let node = node.trim().trim_matches('"');
    let (host, port) = if let Some(bracketed) = node.strip_prefix('[') {
        let (host, rest) = bracketed.split_once(']').unwrap_or((bracketed, ""));
        (host, rest.strip_prefix(':').unwrap_or(""))
    } else if node.matches(':').count() == 1 {
        node.split_once(':').unwrap_or((node, ""))
    } else {
        (node, "")
    };
    let port = if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        port.parse().unwrap_or(0)
    } else {
        0
    };
    (host.to_owned(), port)
}

/// From the nearest hop back, the first that is not a trusted proxy; its protocol, or
/// else the nearest one any hop reported.
fn choose(trust: &ProxyTrust, hops: Vec<Hop>) -> Forwarded {
    let Some(mut chosen) = hops.len().checked_sub(1) else {
        return Forwarded::default();
    };
    for (index, hop) in hops.iter().enumerate().rev() {
        chosen = index;
        match &hop.node {
            Some((host, _)) if trust.trusts_host(host) => {}
            _ => break,
        }
    }
    let proto = hops[chosen].proto.as_deref().or_else(|| {
        hops.iter()
            .rev()
            .find_map(|hop| hop.proto.as_deref().filter(|p| !p.is_empty()))
    });
    let scheme = proto.and_then(|proto| {
        ["http", "https", "ws", "wss"]
            .into_iter()
            .find(|scheme| proto.eq_ignore_ascii_case(scheme))
    });
    let client = hops
        .into_iter()
        .nth(chosen)
        .and_then(|hop| hop.node)
        .filter(|(host, _)| !host.is_empty());
    Forwarded { client, scheme }
}

/// Field values are bytes; ISO-8859-1 maps each to the character of the same number,
/// as Python's `bytes.decode("latin-1")` does.
fn latin1(value: &[u8]) -> String {
    value.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust(entries: &[&str]) -> ProxyTrust {
        let everyone = entries.contains(&"*");
        let hosts = entries
            .iter()
            .filter(|e| **e != "*" && !e.contains('/'))
            .map(|e| (*e).to_owned())
            .collect();
        let networks: Vec<String> = entries
            .iter()
            .filter(|e| e.contains('/'))
            .map(|e| (*e).to_owned())
            .collect();
        ProxyTrust::new(everyone, hosts, &networks).unwrap()
    }

    fn report(trust: &ProxyTrust, fields: &[(&str, &str)]) -> Forwarded {
        let mut headers = Headers::new();
        for (name, value) in fields {
            headers.append(name.to_string(), value.to_string());
        }
        forwarded(trust, &headers)
    }

    fn client(host: &str, port: u16) -> Option<(String, u16)> {
        Some((host.to_owned(), port))
    }

    #[test]
    fn x_forwarded_for_names_the_nearest_untrusted_hop() {
        let local = trust(&["127.0.0.1", "::1"]);
        let got = report(
            &local,
            &[
                ("X-Forwarded-For", "203.0.113.7, 127.0.0.1"),
                ("x-forwarded-proto", "HTTPS"),
            ],
        );
        assert_eq!(got.client, client("203.0.113.7", 0));
        assert_eq!(got.scheme, Some("https"));
        // Every hop trusted: the farthest is the client.
        let got = report(&local, &[("x-forwarded-for", "::1, 127.0.0.1")]);
        assert_eq!(got.client, client("::1", 0));
        // A protocol alone, and one that is not a scheme.
        let got = report(&local, &[("x-forwarded-proto", "http, https")]);
        assert_eq!(
            got,
            Forwarded {
                client: None,
                scheme: Some("https")
            }
        );
        let got = report(&local, &[("x-forwarded-proto", "gopher")]);
        assert_eq!(got, Forwarded::default());
    }

    #[test]
    fn forwarded_takes_ports_brackets_and_precedence() {
        let local = trust(&["127.0.0.1"]);
        let got = report(
            &local,
            &[(
                "forwarded",
                "for=198.51.100.1;proto=http, For=\"[2001:db8::1]:4711\";Proto=https",
            )],
        );
        assert_eq!(got.client, client("2001:db8::1", 4711));
        assert_eq!(got.scheme, Some("https"));
        let got = report(
            &local,
            &[
                ("forwarded", "for=192.0.2.9:80"),
                ("x-forwarded-for", "192.0.2.10"),
            ],
        );
        assert_eq!(got.client, client("192.0.2.9", 80));
        // Two fields are one list; an obfuscated node is a hop with no address to
        // trust, and the nearest protocol any hop gave is the scheme.
        let got = report(
            &local,
            &[
                ("forwarded", "for=192.0.2.1;proto=wss"),
                ("forwarded", "for=_hidden, for=127.0.0.1"),
            ],
        );
        assert_eq!(got.client, client("_hidden", 0));
        assert_eq!(got.scheme, Some("wss"));
        // No `for`: the hop has no node, nothing to set as the client.
        let got = report(&local, &[("forwarded", "proto=https;by=203.0.113.43")]);
        assert_eq!(
            got,
            Forwarded {
                client: None,
                scheme: Some("https")
            }
        );
    }

    #[test]
    fn networks_and_everyone() {
        let tens = trust(&["10.0.0.0/8", "2001:db8::/32"]);
        assert!(tens.trusts_peer(Some("10.1.2.3".parse().unwrap())));
        assert!(tens.trusts_peer(Some("2001:db8::5".parse().unwrap())));
        assert!(!tens.trusts_peer(Some("11.0.0.1".parse().unwrap())));
        assert!(!tens.trusts_peer(None));
        let got = report(&tens, &[("x-forwarded-for", "192.0.2.4, 10.9.9.9")]);
        assert_eq!(got.client, client("192.0.2.4", 0));
        let all = trust(&["*"]);
        assert!(all.trusts_peer(None));
        let got = report(&all, &[("x-forwarded-for", "192.0.2.4, 10.9.9.9")]);
        assert_eq!(got.client, client("192.0.2.4", 0));
        assert!(ProxyTrust::new(false, Vec::new(), &["10.0.0.0/33".to_owned()]).is_err());
        let zero = trust(&["0.0.0.0/0"]);
        assert!(zero.trusts_peer(Some("198.51.100.1".parse().unwrap())));
    }
}
