// The web UI's entry point, bundled by scripts/build-ui.ts into /ui/assets/app.js. The page loads it
// with `defer`, so the document is parsed when this runs.
import { refreshRelativeTimes } from "./format.ts";
import { onBeforeUnload } from "./leave-guard.ts";
import { whenNavigated } from "./navigation.ts";
import { whenSignedOut } from "./session.ts";
import { closeOverlays, onLinkClick, onPopState, render } from "./shell.ts";

whenNavigated(render);
whenSignedOut((message) => {
  closeOverlays();
  render(message);
});
document.addEventListener("click", onLinkClick);
window.addEventListener("popstate", () => void onPopState());
window.addEventListener("beforeunload", onBeforeUnload);
// "12 s ago" keeps counting between refreshes, and while the platform does not answer at all.
setInterval(() => refreshRelativeTimes(document, Date.now()), 1000);
render();
