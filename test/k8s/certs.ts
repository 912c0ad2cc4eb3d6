import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Certificates for a throwaway control plane, made with openssl in `dir`: a CA, the API server's
 * serving certificate (for 127.0.0.1 and the in-cluster service names), an admin client
 * certificate in system:masters, and the service-account signing key pair.
 */
export interface ControlPlaneCerts {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args, { timeout: 30_000 });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export async function makeControlPlaneCerts(dir: string): Promise<ControlPlaneCerts> {
  const p = (name: string) => join(dir, name);
  const certs: ControlPlaneCerts = {
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    servingCert: p("apiserver.crt"),
    servingKey: p("apiserver.key"),
    adminCert: p("admin.crt"),
    adminKey: p("admin.key"),
    serviceAccountKey: p("sa.key"),
    serviceAccountPub: p("sa.pub"),
  };
  await openssl([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    certs.caKey,
    "-out",
    certs.caCert,
    "-days",
    "2",
    "-subj",
    "/CN=tether-test-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const leaf = async (cert: string, key: string, subj: string, ext: string[]) => {
    await openssl([
      "req",
      "-x509",
      ...EC,
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      subj,
      "-CA",
      certs.caCert,
      "-CAkey",
      certs.caKey,
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      ...ext.flatMap((e) => ["-addext", e]),
    ]);
  };
  await leaf(certs.servingCert, certs.servingKey, "/CN=kube-apiserver", [
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
    "extendedKeyUsage=serverAuth",
  ]);
  await leaf(certs.adminCert, certs.adminKey, "/O=system:masters/CN=tether-test-admin", [
    "extendedKeyUsage=clientAuth",
  ]);
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-out",
    certs.serviceAccountKey,
  ]);
  await openssl(["pkey", "-in", certs.serviceAccountKey, "-pubout", "-out", certs.serviceAccountPub]);
  return certs;
}

/** A kubeconfig for the admin client certificate (what helm reads). */
export async function writeKubeconfig(path: string, server: string, certs: ControlPlaneCerts): Promise<void> {
  const text = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: test",
    "    cluster:",
    `      server: ${server}`,
    `      certificate-authority: ${certs.caCert}`,
    "users:",
    "  - name: admin",
    "    user:",
    `      client-certificate: ${certs.adminCert}`,
    `      client-key: ${certs.adminKey}`,
    "contexts:",
    "  - name: test",
    "    context: { cluster: test, user: admin }",
    "current-context: test",
    "",
  ].join("\n");
  await writeFile(path, text, { mode: 0o600 });
}
