#!/usr/bin/env node
// Builds hubkey-tray, the tray-only program without WebKit (crates/hubkey-tray), beside hubkey-desktop:
// `tauri build` runs this after the UI build (build.beforeBuildCommand in src-tauri/tauri.conf.json), so a
// release build puts target/release/hubkey-tray where the .deb, .rpm and AppImage take it from
// (bundle.linux.*.files), and a `tauri build --debug` puts it in target/debug, where a dev build's relaunch finds
// it. On macOS and Windows there is nothing to build: hubkey-desktop keeps its tray itself there.
import { execFileSync } from 'node:child_process';

if (process.platform !== 'linux') {
  console.error('build-tray: not Linux; hubkey-desktop keeps its own tray here');
  process.exit(0);
}
const debug = process.env.TAURI_ENV_DEBUG === 'true';
const args = ['build', '--locked', '-p', 'hubkey-tray', ...(debug ? [] : ['--release'])];
console.error(`build-tray: cargo ${args.join(' ')}`);
execFileSync('cargo', args, { stdio: 'inherit' });
