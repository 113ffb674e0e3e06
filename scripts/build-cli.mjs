#!/usr/bin/env node
// Builds the `hubkey` CLI for the Linux packages, with its shell completions and man pages: `tauri build` runs
// this after the UI and the tray (build.beforeBuildCommand in src-tauri/tauri.conf.json), and the .deb and .rpm
// take from target/ what it leaves there (bundle.linux.{deb,rpm}.files):
//   target/release/hubkey                          -> /usr/bin/hubkey
//   target/cli-docs/completions/hubkey.bash        -> /usr/share/bash-completion/completions/hubkey
//   target/cli-docs/completions/_hubkey            -> /usr/share/zsh/vendor-completions/_hubkey (.rpm: site-functions)
//   target/cli-docs/completions/hubkey.fish        -> /usr/share/fish/vendor_completions.d/hubkey.fish
//   target/cli-docs/man/*.1.gz                     -> /usr/share/man/man1/
// The completions and pages come from the CLI's own clap definition (crates/hubkey-cli/examples/
// hubkey-docs.rs), so they are generated here, never committed.
//
// Only for a release build on Linux. `tauri build --debug` (e2e, screenshots, run-app) bundles nothing, and the
// desktop app does not need the CLI at run time. On macOS and Windows the release workflow builds the CLI and
// bundles it as an external binary (.github/workflows/release.yml; docs/INSTALL.md says how it gets on PATH).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const log = (msg) => console.error(`build-cli: ${msg}`);
if (process.platform !== 'linux') {
  log('not Linux; the release workflow bundles the CLI here');
  process.exit(0);
}
if (process.env.TAURI_ENV_DEBUG === 'true') {
  log('debug build; the CLI and its docs are only built for the release packages');
  process.exit(0);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
const cargo = (args) => {
  log(`cargo ${args.join(' ')}`);
  execFileSync('cargo', args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
};

cargo(['build', '--locked', '--release', '-p', 'hubkey-cli', '--bin', 'hubkey']);

const docs = join(targetDir, 'cli-docs');
cargo(['run', '--locked', '-q', '-p', 'hubkey-cli', '--example', 'hubkey-docs', '--', docs]);

// Debian policy 12.1: pages are installed gzip-compressed with maximum compression and no timestamp (node's gzip
// writes none), so two builds of the same source give the same file.
const man = join(docs, 'man');
rmSync(man, { recursive: true, force: true });
mkdirSync(man, { recursive: true });
const pages = readdirSync(join(docs, 'man1')).filter((f) => f.endsWith('.1'));
for (const page of pages) {
  writeFileSync(join(man, `${page}.gz`), gzipSync(readFileSync(join(docs, 'man1', page)), { level: 9 }));
}
log(`target/release/hubkey, 3 completion files and ${pages.length} man pages in ${docs}`);
