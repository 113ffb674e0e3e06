/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The Tauri host loads http://127.0.0.1:5173 in dev (tauri.conf.json build.devUrl) and embeds ui/dist in
// builds (build.frontendDist). Everything lives under ui/.
export default defineConfig({
  root: "ui",
  // svelte.config.js sits at the repository root (next to this file); svelte-check reads it from there too.
  plugins: [svelte({ configFile: "../svelte.config.js" })],
  clearScreen: false,
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.4x+, WebView2 and macOS 13+ WKWebView all run ES2022.
    target: ["es2022", "safari16"],
    // Keep CSS in files: the production CSP is `style-src 'self'` (no inline styles).
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
