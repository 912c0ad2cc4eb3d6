/**
 * The web UI in a real browser: Debian's chromium, driven by playwright-core, against a real local
 * platform and real `tether agent up` processes. Tests run in order and build on each other: the
 * cluster connected in the first flow is the one whose values, settings and deletion come later.
 * Screenshots of the main screens land in test-artifacts/ui/.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import { parseYamlMap } from "../../worker/values/parse-yaml.ts";
import { type AgentProcess, startAgent, waitFor } from "../helpers/agent-process.ts";
import { type Platform, PROJECT_ROOT, startPlatform } from "../helpers/platform.ts";

// page.evaluate() callbacks run in the browser. The Node project has no DOM types, so these are the
// few browser globals the callbacks touch, declared for this file alone.
interface BrowserElement {
  id: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  closest(selector: string): BrowserElement | null;
}
declare const document: {
  activeElement: BrowserElement | null;
  querySelector(selector: string): BrowserElement | null;
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number; tetherNoReload?: boolean };
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: { length: number };

const CHROMIUM = process.env.TETHER_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(PROJECT_ROOT, "test-artifacts", "ui");
const WAIT_MS = 30_000;

let platform: Platform;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const agents: AgentProcess[] = [];
const pageErrors: string[] = [];
const consoleLines: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium not found at ${CHROMIUM}: the UI test needs Debian's chromium ` +
        "(apt-get install -y chromium, as .ci/run does) or TETHER_CHROMIUM=/path/to/chromium",
    );
  }
  await mkdir(ARTIFACTS, { recursive: true });
  platform = await startPlatform();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Chromium refuses to start its sandbox as root (CI runs as root).
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
  // Reduced motion: the drawer appears without its slide, so screenshots never catch it halfway.
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: "reduce" });
  page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => {
    consoleLines.push(`${msg.type()}: ${msg.text()}`);
    // The browser reports every non-2xx fetch; the API's 4xx answers are expected in these tests.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      pageErrors.push(`console: ${msg.text()}`);
    }
  });
}, 200_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop(true)));
  await browser?.close();
  await platform?.stop();
}, 60_000);

async function api<T>(method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${platform.adminKey}`,
      ...(json === undefined ? {} : { "content-type": "application/json" }),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** The Clusters list's request (GET /api/v1/clusters?limit=…), for tests that hold or drop it. */
const isClusterList = (url: URL): boolean => url.pathname === "/api/v1/clusters";

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

function activeElementId(): Promise<string> {
  return page.evaluate(() => document.activeElement?.id ?? "");
}

async function text(selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? "";
}

async function waitForText(selector: string, pattern: RegExp, timeout = WAIT_MS): Promise<string> {
  try {
    const handle = await page.waitForFunction(
      ([sel, source, flags]) => {
        const el = document.querySelector(sel as string);
        const t = el?.textContent ?? "";
        return new RegExp(source as string, flags as string).test(t) ? t : false;
      },
      [selector, pattern.source, pattern.flags],
      { timeout },
    );
    return (await handle.jsonValue()) as string;
  } catch (err) {
    const now = await page
      .locator(selector)
      .first()
      .textContent({ timeout: 1_000 })
      .catch(() => null);
    await shot("failure");
    throw new Error(`${selector} never matched ${pattern} (it reads ${JSON.stringify(now)}): ${err}`);
  }
}

function mainNav(name: string) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });
}

async function openTab(name: string): Promise<void> {
  await page.getByRole("tab", { name }).click();
}

describe("web UI in chromium", () => {
  let cluster = "";

  it("signs in with the admin key (a wrong key is refused inline) and keeps it in sessionStorage", async () => {
    await page.goto(`${platform.url}/ui`);
    await page.getByLabel("Access key").waitFor();
    expect(await activeElementId()).toBe("access-key");
    await shot("sign-in");

    await page.getByLabel("Access key").fill("tak_not-a-real-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await waitForText("#access-key-error", /not accepted/);

    // The first list request is held, so the loading state can be seen before any data.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(isClusterList, async (route) => {
      await held;
      await route.continue();
    });
    await page.getByLabel("Access key").fill(platform.adminKey);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
    await page.getByText("Loading clusters…").waitFor();
    expect(await page.locator("table.clusters").isHidden()).toBe(true);
    release();
    await page.getByText("No clusters yet.").waitFor();
    await page.unroute(isClusterList);
    expect(await page.getByText("Loading clusters…").isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem("tether.accessKey"))).toBe(platform.adminKey);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it("Connect Cluster: live name check, the connect command, Waiting → Connected with a real agent, Finish", async () => {
    // A primary cluster with its own agent, so the new cluster has a peer and a path to show.
    const hub = await api<CreateClusterResponse>("POST", "/api/v1/clusters", {
      name: "hub",
      displayName: "Hub",
      local: true,
    });
    expect(hub.status).toBe(201);
    agents.push(await startAgent({ platform: platform.url, cluster: "hub", psk: hub.body.psk }));

    const connect = page.getByRole("button", { name: "Connect Cluster" });
    await connect.click();
    const drawer = page.getByRole("dialog", { name: "Connect Cluster" });
    await drawer.waitFor();
    expect(await activeElementId()).toBe("cc-display-name");
    // Escape closes the drawer and gives focus back to the button that opened it.
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Connect Cluster");

    await connect.click();
    await drawer.waitFor();
    // Tab stays inside the drawer.
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.closest(".drawer") !== null)).toBe(true);
    }
    await page.getByLabel("Display Name").fill("UI Staging");
    const name = page.getByLabel("Kubernetes Name (ID)");
    await name.fill("UI_Staging");
    expect(await text("#cc-name-error")).toBe("Use lowercase letters only.");
    expect(await name.getAttribute("aria-invalid")).toBe("true");
    await name.fill("ui-");
    expect(await text("#cc-name-error")).toBe("End with a lowercase letter or a digit.");
    await page.getByRole("button", { name: "Next" }).click();
    expect(await drawer.isVisible()).toBe(true); // refused client-side, nothing created
    expect((await api<{ items: unknown[] }>("GET", "/api/v1/clusters")).body.items).toHaveLength(1);
    await name.fill("");
    expect(await page.locator("#cc-name-error").textContent()).toBe("");
    await shot("connect-form");

    // Marks this document: if anything reloaded the page, the mark would be gone.
    await page.evaluate(() => {
      window.tetherNoReload = true;
    });
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: "Cluster Connection" }).waitFor();
    const command = await text(".connect-command");
    const m = /^TETHER_PSK=(tpsk_\S+) tether agent up --platform (\S+) --cluster (\S+)$/.exec(command);
    if (!m) throw new Error(`unexpected connect command: ${command}`);
    const [, psk, platformUrl, name1] = m as unknown as [string, string, string, string];
    // Helm comes first, with the chart this platform serves and the cluster's own values key.
    const helm = await text(".helm-command");
    expect(helm).toMatch(
      new RegExp(
        `^helm upgrade --install tether-agent ${platform.url}/charts/tether-agent-\\S+\\.tgz -n tether --create-namespace .* --set cluster\\.psk=${psk} --values "${platform.url}/clusters/agent-values/${name1}\\?token=tak_\\S+"$`,
      ),
    );
    expect(platformUrl).toBe(platform.url);
    expect(name1).toMatch(/^ui-staging-[a-z0-9]{5}$/);
    cluster = name1;
    expect(await text("#cc-status")).toBe("Waiting for agent…");
    await shot("connect-waiting");

    // The command as the page shows it, run as a real agent process.
    agents.push(await startAgent({ platform: platformUrl, cluster, psk }));
    await waitForText("#cc-status", /^✓?Connected/);
    expect(await page.evaluate(() => window.tetherNoReload)).toBe(true);
    expect(await page.getByText("Next step").isVisible()).toBe(true);
    await shot("connect-connected");

    await page.getByRole("button", { name: "Finish" }).click();
    await drawer.waitFor({ state: "detached" });
    await page.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
    const row = `tr[data-cluster="${cluster}"]`;
    await waitForText(`${row} td[data-column="state"]`, /Connected$/);
    expect(await text(`${row} td[data-column="displayName"]`)).toBe("UI Staging");
    expect(await text(`${row} td[data-column="meshIp"]`)).toMatch(/^100\.\d+\.\d+\.\d+$/);
    expect(await text(`${row} td[data-column="agentVersion"]`)).toMatch(/^\d+\.\d+\.\d+/);
    expect(await text(`${row} td[data-column="lastSeen"]`)).toMatch(/ago$/);
    // The agent reports its peer (the hub) once it has the netmap.
    await waitForText(`${row} td[data-column="paths"]`, /^1 (direct|relay|no path)$/);
    await waitForText(`tr[data-cluster="hub"] td[data-column="state"]`, /Connected$/);
    expect(await page.evaluate(() => window.tetherNoReload)).toBe(true);
    await shot("clusters");
  });

  let badCluster = "";

  it("Connect Cluster asks before the PSK is lost, marks the cluster local, and shows a bad PSK live", async () => {
    await page.getByRole("button", { name: "Connect Cluster" }).click();
    const drawer = page.getByRole("dialog", { name: "Connect Cluster" });
    await drawer.waitFor();
    await page.getByLabel("Display Name").fill("Bad PSK");
    await page.getByLabel("Description").fill("Started with a mistyped PSK");
    await page.getByLabel("Local cluster").check();
    // Before Next there is no PSK to lose: Escape closes at once.
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Connect Cluster" }).click();
    await drawer.waitFor();
    await page.getByLabel("Display Name").fill("Bad PSK");
    await page.getByLabel("Description").fill("Started with a mistyped PSK");
    // The hub is the local cluster already, and there is only one: the platform says so in the drawer.
    await page.getByLabel("Local cluster").check();
    await page.getByRole("button", { name: "Next" }).click();
    await waitForText(".drawer .form-error", /Another cluster is already marked local/);
    await page.getByLabel("Local cluster").uncheck();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: "Cluster Connection" }).waitFor();
    const command = await text(".connect-command");
    const m = /^TETHER_PSK=(tpsk_\S+) tether agent up --platform \S+ --cluster (\S+)$/.exec(command);
    if (!m) throw new Error(`unexpected connect command: ${command}`);
    const [, psk, name] = m as unknown as [string, string, string];
    badCluster = name;
    const created = await api<{ local: boolean; description: string }>("GET", `/api/v1/clusters/${name}`);
    expect(created.body).toMatchObject({ local: false, description: "Started with a mistyped PSK" });

    // Escape, the backdrop and the close button all ask while the PSK is shown; Keep open keeps it.
    const guard = page.getByRole("dialog", { name: "Close without the PSK?" });
    await page.keyboard.press("Escape");
    await guard.waitFor();
    expect(await guard.textContent()).toContain("The PSK is shown only this once");
    await shot("psk-loss-guard");
    await guard.getByRole("button", { name: "Keep open" }).click();
    await guard.waitFor({ state: "detached" });
    // The backdrop, left of the drawer. Through the locator, so the click waits until the backdrop
    // receives events (the guard's modal <dialog> leaves the top layer after its close event).
    await page.locator(".drawer-backdrop").click({ position: { x: 20, y: 400 } });
    await guard.waitFor();
    await guard.getByRole("button", { name: "Keep open" }).click();
    await guard.waitFor({ state: "detached" });
    expect(await drawer.isVisible()).toBe(true);
    expect(await text(".connect-command")).toBe(command);

    // One character missing from the PSK: the agent is refused, and the drawer says so, with the fix.
    await expect(
      startAgent({ platform: platform.url, cluster: name, psk: psk.slice(0, -1) }),
    ).rejects.toThrow(/exited/);
    const status = await waitForText("#cc-status", /Registration failed/);
    expect(status).toContain("Registration failed: InvalidPSK");
    expect(status).toContain("The PSK does not match; rotate it for a new command.");
    expect(await page.locator("#cc-status.failed").count()).toBe(1);
    await shot("connect-bad-psk");

    // The drawer offers the fix: a new PSK and the full set of commands, in a drawer of their own.
    await drawer.getByRole("button", { name: "Reconnect with a new PSK" }).click();
    const again = page.getByRole("dialog", { name: "Connect Bad PSK" });
    const fresh = await waitForText(".drawer .connect-command", /^TETHER_PSK=tpsk_/);
    expect(fresh).not.toContain(psk);
    expect(fresh).toMatch(new RegExp(`--cluster ${name}$`));
    expect(await text(".drawer .helm-command")).toContain(`--set cluster.name=${name} `);
    await waitForText("#cc-status", /^Waiting for agent…$/);
    await again.getByRole("button", { name: "Close" }).click();
    await guard.waitFor();
    await guard.getByRole("button", { name: "Close" }).click();
    await again.waitFor({ state: "detached" });

    // The rotation settled that refusal; a new one shows on the cluster page, from its events.
    await page.getByRole("link", { name: "Bad PSK" }).click();
    await page.getByRole("heading", { name: "Bad PSK", level: 1 }).waitFor();
    expect(await page.locator(".failure").isHidden()).toBe(true);
    const freshPsk = /^TETHER_PSK=(tpsk_\S+) /.exec(fresh)?.[1] ?? "";
    await expect(
      startAgent({ platform: platform.url, cluster: name, psk: freshPsk.slice(0, -1) }),
    ).rejects.toThrow(/exited/);
    const failure = await waitForText(".failure", /Registration refused: InvalidPSK/);
    expect(failure).toContain("The PSK does not match; rotate it for a new command.");
    expect(await page.locator(".failure").isVisible()).toBe(true);
    expect(await text("h1 + p .badge")).toMatch(/Waiting$/);
    await openTab("Events");
    await waitForText("#cluster-events", /InvalidPSK[\s\S]*PSKRotated[\s\S]*InvalidPSK/);
    await openTab("Overview");
    await shot("cluster-bad-psk");
    await mainNav("Clusters").click();
  });

  it("searches, filters and sorts the list, keeps it in the URL, and acts on a row from its menu", async () => {
    const rowNames = () =>
      page
        .locator("table.clusters tbody tr:visible")
        .evaluateAll((rows) =>
          rows.map((r) => (r as unknown as { dataset: { cluster: string } }).dataset.cluster),
        );
    await waitForText(`tr[data-cluster="${badCluster}"] td[data-column="state"]`, /Waiting$/);
    expect(await text(`tr[data-cluster="${badCluster}"] td[data-column="displayName"]`)).toBe("Bad PSK");
    expect(await text('tr[data-cluster="hub"] td[data-column="displayName"]')).toBe("Hublocal");
    expect(await rowNames()).toEqual([badCluster, "hub", cluster]); // Bad PSK, Hub, UI Staging by display name
    await page.getByLabel("Search").fill("stag");
    await page.waitForFunction(() => document.querySelector("table.clusters tbody tr[hidden]") !== null);
    expect(await rowNames()).toEqual([cluster]);
    expect(new URL(page.url()).search).toBe("?q=stag");
    await page.getByLabel("Search").fill("");
    await page.getByLabel("State").selectOption("waiting");
    expect(await rowNames()).toEqual([badCluster]);
    await page.getByLabel("State").selectOption("");
    await page.getByRole("button", { name: "Display name" }).click(); // the same key again: descending
    expect(await rowNames()).toEqual([cluster, "hub", badCluster]);
    expect(await page.locator('th[data-sort="name"]').getAttribute("aria-sort")).toBe("descending");
    await page.getByRole("button", { name: "Last seen" }).click();
    const bySeen = await rowNames();
    expect(bySeen[2]).toBe(badCluster); // never seen: last
    expect(new URL(page.url()).search).toBe("?sort=lastSeen");
    // RTT from the agents' own reports; the cluster without an agent has none and sorts last.
    await waitForText('tr[data-cluster="hub"] td[data-column="rtt"]', /^\d+(–\d+)? ms$/);
    await waitForText(`tr[data-cluster="${cluster}"] td[data-column="rtt"]`, /^\d+(–\d+)? ms$/);
    await page.getByRole("button", { name: "RTT" }).click();
    expect((await rowNames())[2]).toBe(badCluster); // no RTT: last
    await page.getByRole("button", { name: "State" }).click();
    expect((await rowNames())[0]).toBe(badCluster); // waiting sorts before connected
    // A reload shows the same list: the sort is in the URL.
    await page.reload();
    await page.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
    await waitForText(`tr[data-cluster="${badCluster}"] td[data-column="state"]`, /Waiting$/);
    expect(new URL(page.url()).search).toBe("?sort=state");
    expect((await rowNames())[0]).toBe(badCluster);
    expect(await page.locator('th[data-sort="state"]').getAttribute("aria-sort")).toBe("ascending");
    await shot("clusters-sorted");

    // The row's menu: Open, Connect (no agent ever registered), Rotate PSK, Revoke agent…, Delete.
    const menuButton = page.getByRole("button", { name: "Actions for Bad PSK" });
    await menuButton.click();
    const menu = page.getByRole("menu", { name: "Actions for Bad PSK" });
    expect(await menu.getByRole("menuitem").allTextContents()).toEqual([
      "Open",
      "Connect",
      "Rotate PSK",
      "Revoke agent…",
      "Delete",
    ]);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Open");
    await page.keyboard.press("ArrowDown");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Connect");
    await shot("clusters-row-menu");
    await page.keyboard.press("Escape");
    expect(await menu.isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
      "Actions for Bad PSK",
    );
    await menuButton.click();
    await menu.getByRole("menuitem", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete Bad PSK?" });
    await dialog.getByLabel(`Type ${badCluster} to confirm`).fill(badCluster);
    await dialog.getByRole("button", { name: "Delete cluster" }).click();
    await page.locator(`tr[data-cluster="${badCluster}"]`).waitFor({ state: "detached" });
    expect((await api("GET", `/api/v1/clusters/${badCluster}`)).status).toBe(404);
    await mainNav("Clusters").click();
    expect(new URL(page.url()).search).toBe("");
  });

  it("rejects bad Extra Agent Values inline, with the line and column", async () => {
    await page.getByRole("link", { name: "UI Staging" }).click();
    await page.getByRole("heading", { name: "UI Staging", level: 1 }).waitFor();
    // The status conditions (all six, one row each) and where each pair's relay sits.
    await page.locator('table.conditions tr[data-condition="AgentConnected"][data-status="True"]').waitFor();
    expect(await page.locator("table.conditions tbody tr").count()).toBe(6);
    expect(await page.locator("table.peers th", { hasText: "Relay at" }).count()).toBe(1);
    await shot("cluster-overview");
    await openTab("Agent");
    const bad = "logLevel: debug\nexpose:\n  - a\n  b: [1, 2\n";
    const expected = parseYamlMap(bad);
    if (expected.ok) throw new Error("the fixture should be invalid YAML");
    await page.getByLabel("Extra Agent Values").fill(bad);
    await page.getByRole("button", { name: "Save" }).click();
    const error = await waitForText("#agent-values-error", /\S/);
    expect(error).toBe(
      `Line ${expected.problem.line}, column ${expected.problem.column}: ${expected.problem.message}`,
    );
    expect(await page.getByLabel("Extra Agent Values").getAttribute("aria-invalid")).toBe("true");
    await shot("agent-values-error");
    const stored = await api<{ annotations: Record<string, string> }>("GET", `/api/v1/clusters/${cluster}`);
    expect(stored.body.annotations).toEqual({});
  });

  it("refuses values the agent's schema rejects, each with its path, and saves nothing", async () => {
    await page.getByLabel("Extra Agent Values").fill("relay:\n  mode: sometimes\nmtu: big\n");
    await page.getByRole("button", { name: "Save" }).click();
    await waitForText("#agent-values-error", /schema refuses these 2 values; nothing was saved/);
    const issues = await page.locator("#agent-values-issues li").allTextContents();
    expect(issues).toEqual(["relay.mode: must be one of auto, always, never", "mtu: must be a whole number"]);
    expect(await page.locator(".yaml-editor .saved").textContent()).toBe("");
    await shot("agent-values-invalid");
    const stored = await api<{ annotations: Record<string, string> }>("GET", `/api/v1/clusters/${cluster}`);
    expect(stored.body.annotations).toEqual({});
    // Back to bad YAML for the guard test that follows.
    await page.getByLabel("Extra Agent Values").fill("logLevel: debug\nexpose:\n  - a\n  b: [1, 2\n");
  });

  it("asks before leaving the values editor with unsaved changes (in-app and on reload)", async () => {
    const editor = page.getByLabel("Extra Agent Values");
    expect(await page.locator(".yaml-editor .unsaved").isVisible()).toBe(true);
    await mainNav("Settings").click();
    const dialog = page.getByRole("dialog", { name: "Leave this page?" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("The values editor has unsaved changes.");
    await shot("leave-guard");
    await dialog.getByRole("button", { name: "Stay" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(new URL(page.url()).pathname).toBe(`/ui/clusters/${cluster}/agent`);
    expect(await editor.inputValue()).toContain("b: [1, 2");

    // Back is asked about too; staying puts the page's own URL back.
    await page.goBack();
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Stay" }).click();
    await page.waitForURL((u) => u.pathname === `/ui/clusters/${cluster}/agent`);
    expect(await editor.inputValue()).toContain("b: [1, 2");

    // A reload gets the browser's own beforeunload prompt.
    const prompt = new Promise<string>((resolve) => {
      page.once("dialog", (d) => {
        resolve(d.type());
        void d.dismiss();
      });
    });
    await page.evaluate(() => {
      window.tetherNoReload = true;
    });
    void page.reload({ timeout: 5_000 }).catch(() => {});
    expect(await prompt).toBe("beforeunload");
    expect(await page.evaluate(() => window.tetherNoReload)).toBe(true);

    await mainNav("Settings").click();
    await dialog.getByRole("button", { name: "Leave" }).click();
    await page.getByRole("heading", { name: "Platform settings" }).waitFor();
  });

  let platformLayer = "";
  const annotation = "logLevel: debug # this cluster only\nmtu: null\nlabels:\n  tier: web\n";

  it("edits the platform's agentValues in Settings (bad YAML inline there too)", async () => {
    await mainNav("Settings").click();
    await page.getByRole("heading", { name: "Platform settings" }).waitFor();
    const editor = page.getByLabel("Agent values");
    await editor.fill("mtu: 1380\nlabels: {team: platform\n");
    await page.getByRole("button", { name: "Save" }).click();
    expect(await waitForText("#platform-agent-values-error", /\S/)).toMatch(/^Line \d+, column \d+: /);
    await editor.fill("logLevel: info\nmtu: 1380\nlabels:\n  team: platform\n");
    await page.getByRole("button", { name: "Save" }).click();
    await waitForText(".yaml-editor .saved", /^Saved\.$/);
    platformLayer = await editor.inputValue();
    expect(parseYaml(platformLayer)).toEqual({ logLevel: "info", mtu: 1380, labels: { team: "platform" } });
    expect(await text("#platform-config")).toContain("agentValues:");
    await shot("settings");
  });

  it("saves Extra Agent Values; the helm --values URLs serve what the page shows", async () => {
    await mainNav("Clusters").click();
    await page.getByRole("link", { name: "UI Staging" }).click();
    await page.getByRole("heading", { name: "UI Staging", level: 1 }).waitFor();
    await openTab("Agent");
    await page.getByLabel("Extra Agent Values").fill(annotation);
    await page.getByRole("button", { name: "Save" }).click();
    await waitForText(".yaml-editor .saved", /^Saved\.$/);
    const effective = await waitForText("#effective-values", /logLevel: debug/);
    expect(parseYaml(effective)).toEqual({ logLevel: "debug", labels: { team: "platform", tier: "web" } });
    // Unknown keys are kept but listed as not used; beside them, what the agent says it applied.
    expect(await page.locator("#unused-keys li").allTextContents()).toEqual(["labels"]);
    await waitForText("#values-applied", /logLevel/);
    expect(await text("#values-report")).toContain("Nothing rejected.");

    await page.getByRole("button", { name: "Create a values key for this cluster" }).click();
    await waitForText('[data-tier="effective"] code', /token=tak_/);
    const url = (tier: string) => text(`[data-tier="${tier}"] code`);
    const urls = {
      effective: await url("effective"),
      platform: await url("platform-config"),
      annotation: await url("cluster-annotation"),
    };
    expect(urls.effective).toMatch(new RegExp(`^${platform.url}/clusters/${cluster}\\?token=tak_[\\w-]+$`));
    expect(urls.platform).toBe(`${urls.effective}&source=platform-config`);
    expect(urls.annotation).toBe(`${urls.effective}&source=cluster-annotation`);
    const key = new URL(urls.effective).searchParams.get("token");
    expect(key).not.toBe(platform.adminKey);
    // The key in the URLs reads values and nothing else.
    const denied = await fetch(`${platform.url}/api/v1/clusters`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(denied.status).toBe(403);
    // It reads this one cluster: the hub's values are refused.
    expect((await fetch(`${platform.url}/clusters/hub?token=${key}`)).status).toBe(403);
    // The page says what the key is, truthfully: one cluster, an expiry, revocable.
    const note = await text("#values-key-note");
    expect(note).toMatch(
      /cluster-values:read access key: it reads this cluster's agent values and nothing else, and expires .+ \(24 hours after it was created\)/,
    );
    const listed = await api<{
      items: { name: string; scope: string; cluster: string; expiresAt: string }[];
    }>("GET", "/api/v1/access-keys");
    const uiKey = listed.body.items.find((k) => k.name === `web-ui values ${cluster}`);
    expect(uiKey).toMatchObject({ scope: "cluster-values:read", cluster });
    const lifetime = Date.parse(uiKey!.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(23 * 3600_000);
    expect(lifetime).toBeLessThanOrEqual(24 * 3600_000);

    const get = async (u: string) => {
      const res = await fetch(u);
      expect(res.status).toBe(200);
      return res.text();
    };
    expect(await get(urls.effective)).toBe(effective);
    expect(await get(urls.platform)).toBe(platformLayer);
    expect(parseYaml(await get(urls.annotation))).toEqual(parseYaml(annotation));
    expect(await text(".url-row:last-child code")).toContain(`--values '${urls.platform}'`);
    await shot("cluster-agent");
  });

  it("a cluster whose peers are reached only through the relay shows Degraded", async () => {
    const agent = agents.filter((a) => a.cluster === cluster).at(-1)!;
    await mainNav("Clusters").click();
    const row = `tr[data-cluster="${cluster}"]`;
    await agent.blockUdp(true); // the agent's fault switch: direct UDP is cut, the relay carries on
    try {
      await waitForText(`${row} td[data-column="state"]`, /Degraded$/, 60_000);
      expect(await text(`${row} td[data-column="paths"]`)).toBe("1 relay");
      expect(await page.locator(`${row} .badge.state-degraded`).getAttribute("title")).toContain(
        "relay only",
      );
      await shot("clusters-degraded");
    } finally {
      await agent.blockUdp(false);
    }
    // An idle relayed pair backs its probes off (up to minutes); traffic makes them fast again, so
    // a few pings bring direct back at once.
    await agent.ping({ target: "hub", count: 10, intervalMs: 200, timeoutMs: 3_000 });
    await waitForText(`${row} td[data-column="state"]`, /Connected$/, 60_000);
  }, 150_000);

  it("Access keys: lists the page's values key, creates one with an expiry (shown once), revokes it (refused at once)", async () => {
    // The hub's agent stops now; the Offline test near the end sees what the page makes of it.
    await agents.find((a) => a.cluster === "hub")!.stop();
    await mainNav("Access keys").click();
    await page.getByRole("heading", { name: "Access keys", level: 1 }).waitFor();
    const uiKeyRow = page.locator(`tr[data-name="web-ui values ${cluster}"]`);
    await uiKeyRow.waitFor();
    expect(await uiKeyRow.locator('td[data-column="scope"]').textContent()).toBe("cluster-values:read");
    expect(await uiKeyRow.locator('td[data-column="cluster"]').textContent()).toBe(cluster);
    expect(await uiKeyRow.locator('td[data-column="expires"]').textContent()).not.toBe("never");
    expect(await uiKeyRow.locator('td[data-column="lastUsed"]').textContent()).toMatch(/ago$/);

    await page.getByLabel("Name").fill("e2e reader");
    await page.getByLabel("Scope").selectOption("values:read");
    await page.getByLabel("Expires after").selectOption({ label: "1 hour" });
    await page.getByRole("button", { name: "Create key" }).click();
    const key = await waitForText(".new-key", /^tak_/);
    expect(await text(".created-key .warning")).toMatch(
      /Key e2e reader created \(values:read, expires .+\)\. It is shown only this once/,
    );
    const row = page.locator('tr[data-name="e2e reader"]');
    await row.waitFor();
    expect(await row.locator('td[data-column="scope"]').textContent()).toBe("values:read");
    expect(await row.locator('td[data-column="cluster"]').textContent()).toBe("all");
    expect(await row.locator('td[data-column="lastUsed"]').textContent()).toBe("never");
    expect(await row.locator('td[data-column="state"]').textContent()).toBe("Active");
    const listed = await api<{ items: { name: string; expiresAt: string | null }[] }>(
      "GET",
      "/api/v1/access-keys",
    );
    const expiresAt = listed.body.items.find((k) => k.name === "e2e reader")?.expiresAt;
    const lifetime = Date.parse(expiresAt ?? "") - Date.now();
    expect(lifetime).toBeGreaterThan(3_000_000);
    expect(lifetime).toBeLessThanOrEqual(3_600_000);
    await shot("access-keys");

    const read = () => fetch(`${platform.url}/clusters/${cluster}?token=${key}`);
    expect((await read()).status).toBe(200);
    await waitForText('tr[data-name="e2e reader"] td[data-column="lastUsed"]', /ago$/);
    await row.getByRole("button", { name: "Revoke e2e reader" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke e2e reader?" });
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    await waitForText('tr[data-name="e2e reader"] td[data-column="state"]', /^Revoked$/);
    expect(await row.getByRole("button", { name: "Revoke e2e reader" }).count()).toBe(0);
    const refused = await read();
    expect(refused.status).toBe(401);
  });

  it("rotates the PSK after a confirmation and shows the new connect command once", async () => {
    await page.goto(`${platform.url}/ui/clusters/${cluster}/agent`);
    await page.getByRole("button", { name: "Rotate PSK" }).waitFor();
    // The tab is in the URL: the page opened on the Agent tab.
    expect(await page.getByRole("tab", { name: "Agent" }).getAttribute("aria-selected")).toBe("true");
    await page.getByRole("button", { name: "Rotate PSK" }).click();
    const dialog = page.getByRole("dialog", { name: "Rotate the PSK?" });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await page.locator(".connect-command").count()).toBe(0);
    await page.getByRole("button", { name: "Rotate PSK" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate PSK" }).click();
    const command = await waitForText(".connect-command", /^TETHER_PSK=tpsk_/);
    expect(command).toMatch(
      new RegExp(`^TETHER_PSK=tpsk_\\S+ tether agent up --platform \\S+ --cluster ${cluster}$`),
    );
    expect(await text(".helm-command")).toContain(`--set cluster.name=${cluster} `);
  });

  it("shows the cluster's history on its Events tab, filling in as things happen", async () => {
    await openTab("Events");
    expect(new URL(page.url()).pathname).toBe(`/ui/clusters/${cluster}/events`);
    const timeline = await waitForText("#cluster-events", /PSKRotated/);
    expect(timeline).toContain("Registered");
    const reasons = await page.locator("#cluster-events .event-reason").allTextContents();
    // Newest first: the rotation just made is on top.
    expect(reasons[0]).toBe("PSKRotated");
    expect(reasons.at(-1)).toBe("Registered");
    await shot("cluster-events");
  });

  it("Reconnect: a fresh agent state registers with the new command and takes the cluster over", async () => {
    const old = agents.find((a) => a.cluster === cluster)!;
    await old.stop(true); // its identity is gone, as when a cluster is rebuilt
    await openTab("Overview");
    await page.getByRole("button", { name: "Reconnect" }).click();
    const drawer = page.getByRole("dialog", { name: /^Reconnect / });
    await drawer.waitFor();
    await drawer.getByRole("button", { name: "Rotate PSK and show commands" }).click();
    const command = await waitForText(".drawer .connect-command", /^TETHER_PSK=tpsk_/);
    expect(await text(".drawer .helm-command")).toContain(`--set cluster.name=${cluster} `);
    expect(await text(".drawer .kubectl-command")).toContain("kubectl apply");
    const m = /^TETHER_PSK=(tpsk_\S+) tether agent up --platform \S+ --cluster (\S+)$/.exec(command);
    if (!m) throw new Error(`unexpected connect command: ${command}`);
    expect(await text("#cc-status")).toBe("Waiting for agent…");
    await shot("reconnect-waiting");
    agents.push(await startAgent({ platform: platform.url, cluster, psk: m[1] as string }));
    await waitForText("#cc-status", /^✓Connected/);
    await shot("reconnect-connected");
    // Connected: the PSK may go without a question.
    await drawer.getByRole("button", { name: "Done" }).click();
    await drawer.waitFor({ state: "detached" });
    await openTab("Events");
    await waitForText(
      "#cluster-events",
      /A new agent identity registered with the rotated PSK and replaced the previous one/,
    );
    await openTab("Overview");
  });

  it("with the API down, the list greys out and says how old it is, and the ages keep counting", async () => {
    await mainNav("Clusters").click();
    const row = `tr[data-cluster="${cluster}"]`;
    await waitForText(`${row} td[data-column="state"]`, /Connected$|Degraded$/);
    await page.route(isClusterList, (route) => route.abort());
    const first = await waitForText(".stale-banner", /^Data is \d+ s old/);
    expect(first).toContain("The platform did not answer; is it running?");
    expect(await page.locator(".table-wrap.stale").count()).toBe(1);
    const age = (t: string) => Number(/Data is (\d+) s old/.exec(t)?.[1]);
    const seenBefore = await text(`${row} td[data-column="lastSeen"]`);
    await page.waitForFunction(
      ([sel, n]) => {
        const t = document.querySelector(sel as string)?.textContent ?? "";
        return Number(/Data is (\d+) s old/.exec(t)?.[1]) > (n as number);
      },
      [".stale-banner", age(first)],
      { timeout: WAIT_MS },
    );
    await waitForText(`${row} td[data-column="lastSeen"]`, new RegExp(`^(?!${seenBefore}$).+ ago$`));
    await shot("clusters-stale");
    await page.unroute(isClusterList);
    await page.locator(".stale-banner").waitFor({ state: "hidden" });
    expect(await page.locator(".table-wrap.stale").count()).toBe(0);
  });

  it("a stopped agent turns Offline, and its last paths are greyed, not shown as current", async () => {
    const hub = 'tr[data-cluster="hub"]';
    await waitForText(`${hub} td[data-column="state"]`, /Offline$/, 120_000);
    expect(await page.locator(`${hub} .badge.state-offline`).getAttribute("title")).toContain(
      "has not sent a heartbeat",
    );
    expect(await text(`${hub} td[data-column="paths"]`)).toMatch(/^last known: |^—$/);
    expect(await text(`${hub} td[data-column="rtt"]`)).toBe("—");
    await shot("clusters-offline");
    await page.getByRole("link", { name: "Hub" }).click();
    await page.getByRole("heading", { name: "Hub", level: 1 }).waitFor();
    await waitForText("h1 + p .badge", /Offline$/);
    await page.locator('table.conditions tr[data-condition="AgentOffline"][data-status="True"]').waitFor();
    if ((await page.locator("table.peers tbody tr").count()) > 0) {
      expect(await page.locator(".table-wrap.stale table.peers").count()).toBe(1);
      expect(
        await page.getByText("The agent is offline: these are the last paths it reported").isVisible(),
      ).toBe(true);
      // Peer names link to the peer's page.
      expect(await page.locator("table.peers tbody a").first().getAttribute("href")).toMatch(
        /^\/ui\/clusters\//,
      );
    }
    await shot("cluster-offline");
    await page.getByRole("link", { name: "Clusters" }).first().click();
    await page.getByRole("link", { name: "UI Staging" }).click();
    await page.getByRole("heading", { name: "UI Staging", level: 1 }).waitFor();
  }, 180_000);

  it("edits the display name and description", async () => {
    await openTab("Settings");
    await page.getByLabel("Display Name").fill("UI Staging EU");
    await page.getByLabel("Description").fill("Made in the browser test");
    await page.getByRole("button", { name: "Save" }).click();
    await waitForText("h1", /^UI Staging EU$/);
    const got = await api<{ displayName: string; description: string }>("GET", `/api/v1/clusters/${cluster}`);
    expect(got.body).toMatchObject({ displayName: "UI Staging EU", description: "Made in the browser test" });
    await shot("cluster-settings");
  });

  it("fits a narrow screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await mainNav("Clusters").click();
    await waitForText(`tr[data-cluster="${cluster}"] td[data-column="state"]`, /Connected$/);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    // The header is hidden on a narrow screen; the sort has its own control there.
    await page.getByLabel("Sort by").selectOption("state");
    await page.waitForURL((u) => u.search === "?sort=state");
    await page.getByLabel("Sort by").selectOption("name");
    await page.waitForURL((u) => u.search === "");
    await shot("clusters-narrow");
    await page.getByRole("button", { name: "Connect Cluster" }).click();
    await page.getByRole("dialog", { name: "Connect Cluster" }).waitFor();
    await shot("connect-narrow");
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("link", { name: "UI Staging EU" }).click();
    await openTab("Agent");
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot("cluster-agent-narrow");
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("revokes an agent from its cluster page through the dialog: Revoked badge, CredentialRevoked, agent gone", async () => {
    const created = await api<CreateClusterResponse>("POST", "/api/v1/clusters", {
      name: "ui-revoke",
      displayName: "UI Revoke",
    });
    expect(created.status).toBe(201);
    const agent = await startAgent({ platform: platform.url, cluster: "ui-revoke", psk: created.body.psk });
    agents.push(agent);
    await page.goto(`${platform.url}/ui/clusters/ui-revoke`);
    await page.getByRole("heading", { name: "UI Revoke", level: 1 }).waitFor();
    await waitForText("h1 + p .badge", /Connected$/);

    await page.getByRole("button", { name: "Revoke agent…" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke the agent of UI Revoke?" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("The cluster and its settings are kept.");
    expect(await dialog.textContent()).toContain("use Reconnect: it rotates the PSK");
    await shot("revoke-confirm");
    // Cancel changes nothing.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(agent.child.exitCode).toBeNull();

    await page.getByRole("button", { name: "Revoke agent…" }).click();
    await dialog.getByRole("button", { name: "Revoke agent" }).click();
    await waitForText("#toast", /The agent of ui-revoke is revoked\./);
    await waitForText("h1 + p .badge", /Revoked$/);
    expect(await page.locator("h1 + p .badge.state-revoked").getAttribute("title")).toContain("Reconnect");
    const revoked = page.locator(
      'table.conditions tr[data-condition="CredentialRevoked"][data-status="True"]',
    );
    await revoked.waitFor();
    expect(await revoked.textContent()).toContain("Revoked");
    expect(await revoked.textContent()).toContain("rotate the PSK and run the new connect command");
    await waitForText(".failure h2", /^Agent revoked$/);
    expect(await page.getByRole("button", { name: "Reconnect" }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Revoke agent…" }).isDisabled()).toBe(true);
    await shot("cluster-revoked");
    await waitFor("the revoked agent to exit", async () => agent.child.exitCode !== null, WAIT_MS);
    expect(agent.child.exitCode).toBe(1);

    // The list shows the same state.
    await mainNav("Clusters").click();
    await waitForText('tr[data-cluster="ui-revoke"] td[data-column="state"]', /Revoked$/);
    expect((await api("DELETE", "/api/v1/clusters/ui-revoke")).status).toBe(204);
    await page.getByRole("link", { name: "UI Staging EU" }).click();
    await page.getByRole("heading", { name: "UI Staging EU", level: 1 }).waitFor();
  });

  it("deletes the cluster after typing its name; its agent is cut off", async () => {
    await openTab("Settings");
    await page.getByRole("button", { name: "Delete cluster" }).click();
    const dialog = page.getByRole("dialog", { name: /^Delete UI Staging EU\?$/ });
    await dialog.waitFor();
    const confirm = dialog.getByRole("button", { name: "Delete cluster" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${cluster} to confirm`).fill("wrong");
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${cluster} to confirm`).fill(cluster);
    await shot("delete-confirm");
    await confirm.click();
    await page.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/ui");
    await waitForText("#toast", new RegExp(`Cluster ${cluster} deleted`));
    await page.locator(`tr[data-cluster="${cluster}"]`).waitFor({ state: "detached" });
    expect((await api("GET", `/api/v1/clusters/${cluster}`)).status).toBe(404);
    const agent = agents.filter((a) => a.cluster === cluster).at(-1)!;
    await waitFor("the deleted cluster's agent to exit", async () => agent.child.exitCode !== null, WAIT_MS);
  });

  it("a malformed percent-escape in the path shows Not found, not Loading… forever", async () => {
    await page.goto(`${platform.url}/ui/clusters/%E0%A4%A`);
    await page.getByRole("heading", { name: "Not found", level: 1 }).waitFor({ timeout: WAIT_MS });
    await page.getByRole("link", { name: "Back to Clusters" }).click();
    await page.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
  });

  it("signs out: the keys leave sessionStorage and the sign-in form is back", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Access key").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("tether.accessKey"))).toBeNull();
    expect(await page.evaluate(() => sessionStorage.getItem("tether.valuesReadKey"))).toBeNull();
  });

  it("ran without script errors or CSP violations, and never logged the access key", () => {
    expect(pageErrors).toEqual([]);
    expect(consoleLines.filter((l) => l.includes(platform.adminKey))).toEqual([]);
  });
});
