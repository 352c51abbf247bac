//! A real OpenLDAP server (Debian's `slapd`) for a test: a generated config and an LDIF
//! of people and groups, on a free loopback port; stopped (and its files removed) when
//! dropped.

use std::process::{Child, Command, Stdio};

use super::skip_unless_required;
use super::stubs::free_port;
use super::wait::wait_until;

pub const SLAPD: &str = "/usr/sbin/slapd";
pub const SUFFIX: &str = "dc=example,dc=org";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=org";
pub const ROOT_PW: &str = "directory admin secret";

pub struct Slapd {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub port: u16,
    /// With TLS: the ldaps:// port, and the CA's certificate (PEM file) that signed the
    /// server's.
    pub tls: Option<(u16, std::path::PathBuf)>,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// People (`uid`, `cn`, `mail`, `userPassword`) and groups (`groupOfNames`).
pub fn ldif(people: &[(&str, &str, &str)], groups: &[(&str, &[&str])]) -> String {
    let mut out = format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n"
    );
    for (uid, name, password) in people {
        out.push_str(&format!(
            "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {name}\nmail: {uid}@example.org\nuserPassword: {password}\n\n"
        ));
    }
    for (cn, members) in groups {
        out.push_str(&format!(
            "dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n"
        ));
        for m in *members {
            out.push_str(&format!("member: uid={m},ou=people,{SUFFIX}\n"));
        }
        out.push('\n');
    }
    out
}

impl Slapd {
    /// Loads `ldif` and starts slapd, or `None` (skipped) when it is not installed.
    pub async fn start(test: &str, ldif: &str) -> Option<Slapd> {
        Self::start_with(test, ldif, false).await
    }

    /// The same with TLS: a CA and a server certificate for 127.0.0.1 made for the test,
    /// StartTLS on the ldap:// port and TLS from the first byte on an ldaps:// one.
    pub async fn start_tls(test: &str, ldif: &str) -> Option<Slapd> {
        Self::start_with(test, ldif, true).await
    }

    async fn start_with(test: &str, ldif: &str, tls: bool) -> Option<Slapd> {
        if !std::path::Path::new(SLAPD).exists() {
            skip_unless_required(
                test,
                "slapd not installed (apt-get install slapd ldap-utils)",
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::create_dir_all(dir.path().join("db")).unwrap();
        let tls_conf = if tls {
            make_certificates(dir.path());
            format!(
                "TLSCACertificateFile {d}/ca.pem\nTLSCertificateFile {d}/server.pem\nTLSCertificateKeyFile {d}/server.key\n"
            )
        } else {
            String::new()
        };
        let conf = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\nmodulepath /usr/lib/ldap\n\
             moduleload back_mdb\npidfile {d}/slapd.pid\n{tls_conf}database mdb\nmaxsize 10485760\n\
             suffix \"{SUFFIX}\"\nrootdn \"{ROOT_DN}\"\nrootpw \"{ROOT_PW}\"\ndirectory {d}/db\n"
        );
        std::fs::write(dir.path().join("slapd.conf"), conf).unwrap();
        std::fs::write(dir.path().join("data.ldif"), ldif).unwrap();
        let loaded = Command::new("/usr/sbin/slapadd")
            .args([
                "-f",
                &format!("{d}/slapd.conf"),
                "-l",
                &format!("{d}/data.ldif"),
            ])
            .output()
            .expect("slapadd");
        assert!(
            loaded.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let ca = dir.path().join("ca.pem");
        let mut s = Slapd {
            child: None,
            dir,
            port: free_port(),
            tls: tls.then(|| (free_port(), ca)),
        };
        s.run().await;
        Some(s)
    }

    async fn run(&mut self) {
        let d = self.dir.path().display().to_string();
        let mut urls = format!("ldap://127.0.0.1:{}/", self.port);
        if let Some((port, _)) = &self.tls {
            urls.push_str(&format!(" ldaps://127.0.0.1:{port}/"));
        }
        let child = Command::new(SLAPD)
            .args(["-f", &format!("{d}/slapd.conf"), "-h", &urls, "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start slapd");
        self.child = Some(child);
        let port = self.port;
        wait_until("slapd listens", || async move {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(|_| ())
        })
        .await;
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    pub fn ldaps_url(&self) -> String {
        format!(
            "ldaps://127.0.0.1:{}",
            self.tls.as_ref().expect("started with TLS").0
        )
    }

    /// Stops the server (the data stays for [`Slapd::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub async fn restart(&mut self) {
        self.stop();
        self.run().await;
    }

    /// Removes an entry (as the directory's administrator).
    pub fn delete(&self, dn: &str) {
        let out = Command::new("ldapdelete")
            .args(["-x", "-H", &self.url(), "-D", ROOT_DN, "-w", ROOT_PW, dn])
            .output()
            .expect("ldapdelete (apt-get install ldap-utils)");
        assert!(
            out.status.success(),
            "ldapdelete: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A CA, and a server certificate for 127.0.0.1 it signed (openssl).
fn make_certificates(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Portcullis test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
}
