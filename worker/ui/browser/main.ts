// The web UI's entry point, bundled by scripts/build-ui.ts into /ui/assets/app.js. The page loads it
// with `defer`, so the document is parsed when this runs.
import { whenNavigated } from "./navigation.ts";
import { whenSignedOut } from "./session.ts";
import { closeOverlays, onLinkClick, render } from "./shell.ts";

whenNavigated(render);
whenSignedOut((message) => {
  closeOverlays();
  render(message);
});
document.addEventListener("click", onLinkClick);
window.addEventListener("popstate", () => {
  closeOverlays();
  render();
});
render();
