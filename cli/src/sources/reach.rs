//! What a policy's sources may reach. The policy is untrusted input (it arrives in a pull
//! request); the operator's flags and environment are trusted. So the operator, never the
//! policy, decides which hosts receive credentials, which addresses are off limits, which
//! files are read and which programs run. `Reach` holds those grants; every source asks it
//! before it sends, opens or runs anything.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Host names that are cloud metadata services whatever they resolve to.
const METADATA_NAMES: [&str; 2] = ["metadata.google.internal", "metadata.goog"];

/// One allowed host: a name (or `*.suffix`), with a port or any port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostRule {
    /// Lowercase; `*.example.com` matches any name below `example.com` (not itself).
    pattern: String,
    port: Option<u16>,
}

impl HostRule {
    fn matches(&self, host: &str, port: Option<u16>) -> bool {
        self.matches_name(host) && (self.port.is_none() || self.port == port)
    }

    /// The name alone (any port): what DNS resolution is opened for; the port is checked on
    /// the URL before the request is made.
    fn matches_name(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        match self.pattern.strip_prefix("*.") {
            Some(suffix) => host
                .strip_suffix(suffix)
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            None => host == self.pattern,
        }
    }
}

/// Which programs `command` sources may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exec {
    /// No `--allow-exec`: none.
    Never,
    /// A bare `--allow-exec`: any program (the operator trusts the policy's commands).
    Any,
    /// `--allow-exec=PROG,...`: these programs only, as written in `argv[0]`.
    Only(Vec<String>),
}

/// The operator's grants to the policy's sources.
#[derive(Debug, Clone)]
pub struct Reach {
    hosts: Vec<HostRule>,
    /// Directories (resolved) that `file` sources may read below.
    roots: Vec<PathBuf>,
    exec: Exec,
}

impl Default for Reach {
    /// Nothing granted: no credentials anywhere, no files, no programs.
    fn default() -> Self {
        Reach {
            hosts: Vec::new(),
            roots: Vec::new(),
            exec: Exec::Never,
        }
    }
}

/// Where a host allowance came from, for messages.
pub enum Grant<'a> {
    /// A `--allow-host` flag or an item of ROLLGATE_ALLOW_HOSTS.
    Host(&'a str),
    /// The host of an operator-given URL (`--prometheus-url`, ROLLGATE_GITHUB_API_URL...).
    Url(&'a str),
}

impl Reach {
    /// Adds a host allowance. Err names what is wrong with it.
    pub fn allow(&mut self, grant: Grant<'_>) -> Result<(), String> {
        let rule = match grant {
            Grant::Host(text) => parse_host_rule(text)?,
            Grant::Url(url) => {
                let u = Url::parse(url).map_err(|_| format!("`{url}` is not a URL"))?;
                let host = u.host_str().ok_or(format!("`{url}` has no host"))?;
                HostRule {
                    pattern: host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_ascii_lowercase(),
                    port: u.port_or_known_default(),
                }
            }
        };
        if !self.hosts.contains(&rule) {
            self.hosts.push(rule);
        }
        Ok(())
    }

    /// Adds a directory `file` sources may read below (resolved, so a symlink cannot move it).
    pub fn allow_dir(&mut self, dir: &Path) -> Result<(), String> {
        let real = std::fs::canonicalize(dir)
            .map_err(|e| format!("`{}`: {}", dir.display(), crate::files::io_reason(&e)))?;
        if !real.is_dir() {
            return Err(format!("`{}` is not a directory", dir.display()));
        }
        if !self.roots.contains(&real) {
            self.roots.push(real);
        }
        Ok(())
    }

    pub fn set_exec(&mut self, exec: Exec) {
        self.exec = exec;
    }

    pub fn exec(&self) -> &Exec {
        &self.exec
    }

    /// Whether the operator named this host (so it may receive credentials and be reached
    /// at any address).
    pub fn host_allowed(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let port = url.port_or_known_default();
        self.hosts.iter().any(|r| r.matches(host, port))
    }

    fn name_allowed(&self, name: &str) -> bool {
        self.hosts.iter().any(|r| r.matches_name(name))
    }

    /// Err (the reason, naming the flag that would allow it) unless a credential may go to
    /// `url`. `what` names the credential without its value.
    pub fn credential_to(&self, url: &Url, what: &str) -> Result<(), String> {
        if self.host_allowed(url) {
            return Ok(());
        }
        let shown = shown_host(url);
        Err(format!(
            "refused to send {what} to `{shown}`: credentials go only to hosts the operator allowed; \
             pass `--allow-host {shown}` (or add it to ROLLGATE_ALLOW_HOSTS) to allow it"
        ))
    }

    /// Err (the reason) when `url` names an address sources may not reach: not http(s), a
    /// link-local or cloud metadata address or name, unless the operator allowed the host.
    /// Names are checked again once resolved (see [`Resolver`]).
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{}` is not an http(s) URL", url.scheme()));
        }
        if self.host_allowed(url) {
            return Ok(());
        }
        let refused = match url.host() {
            Some(url::Host::Ipv4(ip)) => refused_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => refused_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => refused_name(name),
            None => return Err("the URL has no host".into()),
        };
        match refused {
            Some(why) => Err(refusal(&shown_host(url), why)),
            None => Ok(()),
        }
    }

    /// Resolves `path` (relative to the working directory) and checks it lies below an
    /// allowed directory. Ok is the resolved path; Err says why, never the file's contents.
    pub fn file(&self, path: &str) -> Result<PathBuf, String> {
        let real = std::fs::canonicalize(path)
            .map_err(|e| format!("cannot read `{path}`: {}", crate::files::io_reason(&e)))?;
        if self.roots.iter().any(|r| real.starts_with(r)) {
            Ok(real)
        } else {
            Err(format!(
                "refused to read `{path}`: `file` sources read only below the policy's directory \
                 or the working directory; pass `--allow-path DIR` to allow another directory"
            ))
        }
    }

    /// Whether this resolved path is still below an allowed directory (checked again on the
    /// opened file, so a symlink swapped in between cannot lead elsewhere).
    pub fn file_still_inside(&self, real: &Path) -> bool {
        self.roots.iter().any(|r| real.starts_with(r))
    }
}

fn shown_host(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

fn refusal(host: &str, why: &str) -> String {
    format!(
        "refused to connect to `{host}`: {why}; sources never reach these unless the operator \
         passes `--allow-host {host}`"
    )
}

/// `HOST`, `HOST:PORT`, `*.SUFFIX`, `[V6]:PORT`.
fn parse_host_rule(text: &str) -> Result<HostRule, String> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || {
        format!("`{text}` is not a host: give `name`, `name:port`, `*.example.com` or an address")
    };
    if t.is_empty() || t.contains('/') || t.contains('@') {
        return Err(bad());
    }
    let (host, port) = if let Some(rest) = t.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().map_err(|_| bad())?),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (h.to_owned(), port)
    } else if t.matches(':').count() > 1 {
        (t.clone(), None) // a bare IPv6 address
    } else if let Some((h, p)) = t.split_once(':') {
        (h.to_owned(), Some(p.parse::<u16>().map_err(|_| bad())?))
    } else {
        (t.clone(), None)
    };
    let name = host.strip_prefix("*.").unwrap_or(&host);
    let ok = host.parse::<IpAddr>().is_ok()
        || (!name.is_empty()
            && name.split('.').all(|l| {
                !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }));
    if !ok {
        return Err(bad());
    }
    Ok(HostRule {
        pattern: host,
        port,
    })
}

/// Why a host name is refused before resolution, if it is.
fn refused_name(name: &str) -> Option<&'static str> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = n.parse::<IpAddr>() {
        return refused_ip(ip);
    }
    METADATA_NAMES
        .contains(&n.as_str())
        .then_some("a cloud metadata service")
}

/// Why an address is refused, if it is: link-local (where cloud metadata services live) and
/// the metadata addresses clouds use outside it.
pub fn refused_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_v4(v4);
            }
            if v6 == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
                Some("a cloud metadata address")
            } else if (v6.segments()[0] & 0xffc0) == 0xfe80 {
                Some("a link-local address")
            } else {
                None
            }
        }
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    if ip == Ipv4Addr::new(169, 254, 169, 254)
        || ip == Ipv4Addr::new(169, 254, 170, 2)
        || ip == Ipv4Addr::new(100, 100, 100, 200)
        || ip == Ipv4Addr::new(192, 0, 0, 192)
    {
        Some("a cloud metadata address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else {
        None
    }
}

/// A DNS resolver that refuses a name resolving to any refused address (so a name cannot
/// smuggle the metadata address past [`Reach::check_url`], and a rebinding answer is caught
/// at connect time), unless the operator allowed the name.
#[derive(Debug)]
pub struct Resolver {
    pub reach: std::sync::Arc<Reach>,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let open = self.reach.name_allowed(&host);
        Box::pin(async move {
            if !open && let Some(why) = refused_name(&host) {
                return Err(refusal(&host, why).into());
            }
            let addrs: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !open && let Some(why) = addrs.iter().find_map(|a| refused_ip(a.ip())) {
                return Err(refusal(&host, &format!("it resolves to {why}")).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether requests go through a proxy from the environment (which then resolves names
/// itself, so names are resolved and checked before each request instead).
pub fn proxied() -> bool {
    [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// With a proxy: resolve `url`'s name here and refuse it as [`Resolver`] would.
pub async fn check_resolved(reach: &Reach, url: &Url) -> Result<(), String> {
    let Some(url::Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    if reach.host_allowed(url) {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let Ok(addrs) = tokio::net::lookup_host((name, port)).await else {
        return Ok(()); // the proxy may know names we do not; it reports its own failure
    };
    for a in addrs {
        if let Some(why) = refused_ip(a.ip()) {
            return Err(refusal(&shown_host(url), &format!("it resolves to {why}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn host_rules_match_names_ports_and_wildcards() {
        let mut r = Reach::default();
        r.allow(Grant::Host("prom.internal:9090")).unwrap();
        r.allow(Grant::Host("*.example.com")).unwrap();
        r.allow(Grant::Url("https://api.github.com")).unwrap();
        r.allow(Grant::Host("[::1]:8080")).unwrap();
        for (u, want) in [
            ("http://prom.internal:9090/api", true),
            ("http://prom.internal:9091/api", false),
            ("http://PROM.internal:9090/", true),
            ("https://a.example.com/x", true),
            ("https://a.b.example.com/x", true),
            ("https://A.Example.COM/x", true),
            ("https://example.com/x", false),
            ("https://evilexample.com/x", false),
            ("https://api.github.com/repos", true),
            ("http://api.github.com/repos", false),
            ("https://api.github.com.evil.io/", false),
            ("http://[::1]:8080/", true),
            ("http://[::1]:8081/", false),
        ] {
            assert_eq!(r.host_allowed(&url(u)), want, "{u}");
        }
    }

    #[test]
    fn malformed_host_rules_are_refused() {
        for bad in [
            "",
            "http://x",
            "a/b",
            "user@host",
            "host:port",
            "host:99999",
            "a..b",
            "*.",
            "[::1",
        ] {
            assert!(parse_host_rule(bad).is_err(), "{bad}");
        }
        for good in [
            "localhost",
            "127.0.0.1:9090",
            "::1",
            "*.corp.example",
            "a-b.c",
        ] {
            assert!(parse_host_rule(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn link_local_and_metadata_addresses_are_refused() {
        for ip in [
            "169.254.169.254",
            "169.254.0.1",
            "169.254.170.2",
            "100.100.100.200",
            "192.0.0.192",
            "fe80::1",
            "febf::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
        ] {
            assert!(refused_ip(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "::1",
            "fd00:ec2::253",
            "fec0::1",
            "8.8.8.8",
        ] {
            assert!(refused_ip(ip.parse().unwrap()).is_none(), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        let r = Reach::default();
        for u in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/latest",
            "http://[fe80::1]:80/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.GOOGLE.INTERNAL./x",
            "http://[::ffff:169.254.169.254]/",
        ] {
            let e = r.check_url(&url(u)).unwrap_err();
            assert!(
                e.contains("refused to connect") && e.contains("--allow-host"),
                "{e}"
            );
        }
        assert!(r.check_url(&url("file:///etc/passwd")).is_err());
        assert!(r.check_url(&url("http://127.0.0.1:9090/")).is_ok());
        let mut open = Reach::default();
        open.allow(Grant::Host("169.254.169.254")).unwrap();
        assert!(open.check_url(&url("http://169.254.169.254/x")).is_ok());
    }

    /// The resolver is what stops a name (rather than an address literal) from reaching a
    /// refused address, and what catches a DNS answer that changes between requests.
    #[test]
    fn names_resolving_to_refused_addresses_are_refused_unless_allowed() {
        use std::str::FromStr;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let resolve = |reach: Reach, name: &str| {
            let r = Resolver {
                reach: std::sync::Arc::new(reach),
            };
            rt.block_on(r.resolve(Name::from_str(name).unwrap()))
                .map(|a| a.count())
                .map_err(|e| e.to_string())
        };
        let e = resolve(Reach::default(), "169.254.169.254").unwrap_err();
        assert!(e.contains("link-local") || e.contains("metadata"), "{e}");
        let e = resolve(Reach::default(), "fd00:ec2::254").unwrap_err();
        assert!(e.contains("metadata"), "{e}");
        let e = resolve(Reach::default(), "metadata.google.internal").unwrap_err();
        assert!(e.contains("metadata"), "{e}");
        assert!(resolve(Reach::default(), "127.0.0.1").unwrap() >= 1);
        assert!(resolve(Reach::default(), "localhost").unwrap() >= 1);
        let mut open = Reach::default();
        open.allow(Grant::Host("169.254.169.254:80")).unwrap();
        assert_eq!(resolve(open, "169.254.169.254").unwrap(), 1);
    }

    #[test]
    fn credentials_need_an_allowed_host_and_say_which_flag() {
        let mut r = Reach::default();
        r.allow(Grant::Url("http://127.0.0.1:9090")).unwrap();
        assert!(
            r.credential_to(&url("http://127.0.0.1:9090/api"), "x")
                .is_ok()
        );
        let e = r
            .credential_to(&url("https://collector.example/m"), "header `X-Trace`")
            .unwrap_err();
        assert!(e.contains("--allow-host collector.example"), "{e}");
        assert!(!e.contains("AWS"), "{e}");
    }

    #[test]
    fn files_only_below_allowed_directories() {
        let dir = std::env::temp_dir().join(format!("rollgate-reach-{}", std::process::id()));
        let inside = dir.join("in");
        std::fs::create_dir_all(&inside).unwrap();
        std::fs::write(inside.join("a.json"), "{}").unwrap();
        std::fs::write(dir.join("secret.json"), "{}").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("secret.json"), inside.join("link.json")).unwrap();
        let mut r = Reach::default();
        r.allow_dir(&inside).unwrap();
        assert!(r.file(inside.join("a.json").to_str().unwrap()).is_ok());
        let out = dir.join("secret.json");
        assert!(
            r.file(out.to_str().unwrap())
                .unwrap_err()
                .contains("--allow-path")
        );
        let dotdot = inside.join("../secret.json");
        assert!(r.file(dotdot.to_str().unwrap()).is_err());
        #[cfg(unix)]
        assert!(r.file(inside.join("link.json").to_str().unwrap()).is_err());
        assert!(r.file("/etc/passwd").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
