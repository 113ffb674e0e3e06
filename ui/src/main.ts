import { flushSync, mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { NotInHubkeyError, pageReady } from "./lib/ipc";
import { pageTimings } from "./lib/startup";

const target = document.getElementById("app");
if (!target) {
  throw new Error("index.html has no #app element");
}

const app = mount(App, { target });
flushSync();
// The host built the window hidden and shows it now that the page has something to show (src-tauri/src/window.rs).
pageReady(pageTimings(performance)).catch((error: unknown) => {
  if (!(error instanceof NotInHubkeyError)) {
    console.warn("page_ready failed; the host shows the window after a timeout", error);
  }
});

export default app;
