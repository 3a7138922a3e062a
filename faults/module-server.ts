// The module server the daemon queries: the real misp-modules 3.1.0 (a Python process, with the
// mmdb-server and onion-lookup stand-ins as its offline upstreams) where its venv is installed, or
// the module stand-in. Either can be killed and started again on the same port.

import {
  customModulesDir,
  findVenv,
  startMmdbServer,
  startModulesStandin,
  startOnionLookupServer,
  startRealModules,
} from "@misp-enrichd/standins";

export interface ModuleServer {
  readonly url: string;
  /** What answers, for the report: "real misp-modules" or "module stand-in". */
  readonly kind: string;
  /** The daemon's `modules.config` for this server. */
  readonly config: Readonly<Record<string, unknown>>;
  /** `/query` calls answered so far (the stand-in counts them; undefined for the real server). */
  queries(): number | undefined;
  /** Gone at once, as after SIGKILL: connections cut, the port closed. */
  kill(): Promise<void>;
  /** Up again on the same port; resolves once it answers. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The real server when `real` and its venv is installed (scripts/misp-modules/setup.sh), else the stand-in. */
export async function startModuleServer(real: boolean): Promise<ModuleServer> {
  const venv = real ? findVenv() : undefined;
  if (venv === undefined) {
    const standin = await startModulesStandin({ record: false });
    return {
      url: standin.url,
      kind: "module stand-in",
      config: {},
      queries: () => standin.queryCount(),
      kill: standin.kill,
      restart: standin.restart,
      close: standin.close,
    };
  }
  const mmdb = await startMmdbServer();
  const onion = await startOnionLookupServer();
  const server = await startRealModules({ venv, customDir: customModulesDir(), env: { ONION_LOOKUP_URL: onion.url } });
  return {
    url: server.url,
    kind: "real misp-modules",
    config: { mmdb_lookup: { custom_API: mmdb.url } },
    queries: () => undefined,
    kill: server.kill,
    restart: server.restart,
    async close() {
      await server.stop();
      await Promise.allSettled([mmdb.close(), onion.close()]);
    },
  };
}
