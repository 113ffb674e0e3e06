//! Writes the `hubkey` CLI's shell completions and man pages from the very clap definition the binary parses
//! with (`src/cli.rs`, included below), so they cannot drift from the commands and flags that exist.
//!
//! ```text
//! cargo run --locked -p hubkey-cli --example hubkey-docs -- OUT_DIR
//! ```
//!
//! OUT_DIR then holds `completions/{hubkey.bash,_hubkey,hubkey.fish}` and `man1/hubkey.1` plus one page per
//! subcommand (`hubkey-token.1`, `hubkey-app-add.1`, …), uncompressed. scripts/build-cli.mjs runs this during
//! `tauri build`, gzips the pages, and the .deb and .rpm install them (src-tauri/tauri.conf.json): bash's
//! `/usr/share/bash-completion/completions/hubkey`, zsh's `/usr/share/zsh/vendor-completions/_hubkey` (the .rpm:
//! `/usr/share/zsh/site-functions/_hubkey`), fish's `/usr/share/fish/vendor_completions.d/hubkey.fish` and
//! `/usr/share/man/man1/`. Nothing generated is committed.
//!
//! It is an example target, not a second binary, so that clap_complete and clap_mangen stay dev-dependencies:
//! the `hubkey` that ships links neither (a package's binaries share its normal dependencies). Its tests run with
//! the crate's (`test = true`), and so run cli.rs's and output.rs's unit tests a second time.

// The CLI's own modules, compiled here as they are in src/main.rs. The generator uses only the clap definition;
// the rest of cli.rs (parse-error reporting) and of output.rs is the binary's.
#[allow(dead_code)]
#[path = "../src/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "../src/output.rs"]
mod output;

use clap::CommandFactory;
use clap_complete::Shell;
use std::io;
use std::path::{Path, PathBuf};

/// The shells whose completion files the packages install, with the file name each one looks up.
const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "hubkey.bash"),
    (Shell::Zsh, "_hubkey"),
    (Shell::Fish, "hubkey.fish"),
];

fn main() -> io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), None) = (args.next(), args.next()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "usage: hubkey-docs OUT_DIR",
        ));
    };
    let written = generate(Path::new(&out))?;
    // The list of files is the output: scripts/build-cli.mjs logs it.
    let mut stdout = io::stdout().lock();
    for path in written {
        io::Write::write_all(&mut stdout, format!("{}\n", path.display()).as_bytes())?;
    }
    Ok(())
}

/// Writes every completion file and man page under `out` and returns their paths.
fn generate(out: &Path) -> io::Result<Vec<PathBuf>> {
    let completions = out.join("completions");
    let man1 = out.join("man1");
    for dir in [&completions, &man1] {
        // A page of a removed subcommand must not linger in the package.
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
    }
    let mut written = Vec::new();
    for (shell, file) in SHELLS {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cli::Cli::command(), "hubkey", &mut buf);
        let path = completions.join(file);
        std::fs::write(&path, buf)?;
        written.push(path);
    }
    // `hubkey.1` and `hubkey-<sub>.1` for every subcommand, recursively, each listing its options, as
    // `git help` and `gh help` do: `man hubkey-token`.
    clap_mangen::generate_to(cli::Cli::command(), &man1)?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&man1)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    pages.sort();
    written.extend(pages);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let written = generate(dir.path()).unwrap();
        (dir, written)
    }

    fn read(dir: &tempfile::TempDir, rel: &str) -> String {
        std::fs::read_to_string(dir.path().join(rel)).unwrap()
    }

    #[test]
    fn given_the_cli_when_generating_then_every_shell_completes_every_subcommand() {
        let (dir, _) = generated();
        let subcommands: Vec<String> = cli::Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        assert!(subcommands.contains(&"token".to_string()), "{subcommands:?}");
        for (_, file) in SHELLS {
            let script = read(&dir, &format!("completions/{file}"));
            for sub in &subcommands {
                assert!(script.contains(sub.as_str()), "{file} does not complete `{sub}`");
            }
            // Flags of a nested subcommand, not only the top level.
            assert!(
                script.contains("redirect-uri"),
                "{file} lacks `app add --redirect-uri`"
            );
        }
        assert!(read(&dir, "completions/_hubkey").starts_with("#compdef hubkey"));
        assert!(read(&dir, "completions/hubkey.bash").contains("complete -F _hubkey"));
        assert!(read(&dir, "completions/hubkey.fish").contains("complete -c hubkey"));
    }

    #[test]
    fn given_the_cli_when_generating_then_there_is_a_man_page_per_command_with_its_options() {
        let (dir, written) = generated();
        let mut expected = vec!["hubkey.1".to_string()];
        fn walk(prefix: &str, cmd: &clap::Command, into: &mut Vec<String>) {
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("{prefix}-{}", sub.get_name());
                into.push(format!("{name}.1"));
                walk(&name, sub, into);
            }
        }
        walk("hubkey", &cli::Cli::command(), &mut expected);
        let mut pages: Vec<String> = written
            .iter()
            .filter(|p| p.parent().is_some_and(|d| d.ends_with("man1")))
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        pages.sort();
        expected.sort();
        assert_eq!(pages, expected);

        let top = read(&dir, "man1/hubkey.1");
        assert!(top.starts_with(".ie"), "roff: {}", &top[..top.len().min(80)]);
        assert!(top.contains(".TH hubkey 1"), "{top}");
        assert!(
            top.contains(env!("CARGO_PKG_VERSION")),
            "the page names the version"
        );
        let token = read(&dir, "man1/hubkey-token.1");
        assert!(token.contains("\\-\\-portal"), "{token}");
        assert!(
            token.contains("HUBKEY_PORTAL") && token.contains("\\-\\-json"),
            "{token}"
        );
        // The scripting contract (issue 16): status's exit code 1 and the default connection.
        let status = read(&dir, "man1/hubkey-status.1");
        assert!(status.contains("Exit code 1"), "{status}");
        assert!(read(&dir, "man1/hubkey-use.1").contains("default connection"));
        // The contract that no secret goes in argv holds in the docs too.
        for page in &pages {
            let text = read(&dir, &format!("man1/{page}"));
            assert!(
                !text.contains("client\\-secret"),
                "{page} documents a secret flag"
            );
        }
    }

    #[test]
    fn given_the_packages_when_read_then_they_install_the_cli_and_its_docs_where_each_shell_looks() {
        let conf_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../src-tauri/tauri.conf.json");
        let conf: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(conf_path).unwrap()).unwrap();
        let linux = &conf["bundle"]["linux"];
        // zsh looks in vendor-completions on Debian and Ubuntu, in site-functions on Fedora and openSUSE.
        let formats = [
            ("deb", "/usr/share/zsh/vendor-completions/_hubkey"),
            ("rpm", "/usr/share/zsh/site-functions/_hubkey"),
        ];
        for (format, zsh) in formats {
            let files = linux[format]["files"].as_object().unwrap();
            assert_eq!(files["/usr/bin/hubkey"], "../target/release/hubkey", "{format}");
            assert_eq!(files["/usr/share/man/man1"], "../target/cli-docs/man", "{format}");
            let shells = [
                ("/usr/share/bash-completion/completions/hubkey", "hubkey.bash"),
                (zsh, "_hubkey"),
                ("/usr/share/fish/vendor_completions.d/hubkey.fish", "hubkey.fish"),
            ];
            for (installed, generated) in shells {
                assert!(
                    SHELLS.iter().any(|(_, f)| *f == generated),
                    "{generated} is not generated"
                );
                assert_eq!(
                    files[installed],
                    format!("../target/cli-docs/completions/{generated}"),
                    "{format}: {installed}"
                );
            }
        }
        let build = conf["build"]["beforeBuildCommand"].as_str().unwrap();
        assert!(
            build.contains("npm run build:cli"),
            "tauri build must run scripts/build-cli.mjs: {build}"
        );
    }

    #[test]
    fn given_a_page_left_from_an_older_cli_when_generating_again_then_it_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("man1")).unwrap();
        std::fs::write(dir.path().join("man1/hubkey-removed.1"), "old").unwrap();
        generate(dir.path()).unwrap();
        assert!(!dir.path().join("man1/hubkey-removed.1").exists());
    }
}
