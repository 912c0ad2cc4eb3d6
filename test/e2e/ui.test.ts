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

    await page.getByLabel("Access key").fill(platform.adminKey);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
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

  it("rejects bad Extra Agent Values inline, with the line and column", async () => {
    await page.getByRole("link", { name: "UI Staging" }).click();
    await page.getByRole("heading", { name: "UI Staging", level: 1 }).waitFor();
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
    await dialog.waitFor({ state: "detached" });
    expect(new URL(page.url()).pathname).toBe(`/ui/clusters/${cluster}/agent`);

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
    expect(note).toMatch(/cluster-values:read access key: it reads this cluster's agent values and nothing else, and expires .+ \(24 hours after it was created\)/);
    const listed = await api<{ items: { name: string; scope: string; cluster: string; expiresAt: string }[] }>(
      "GET",
      "/api/v1/access-keys",
    );
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

  it("rotates the PSK after a confirmation and shows the new connect command once", async () => {
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
    const agent = agents.find((a) => a.cluster === cluster)!;
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
