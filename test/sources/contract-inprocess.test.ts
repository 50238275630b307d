import { rm } from "node:fs/promises";
import { localSourceConfig } from "../../src/sources/local.js";
import { openSource } from "../../src/sources/open.js";
import { FULL } from "../helpers/env.js";
import { sourceContract } from "./contract.js";
import { ftpSrvConfig, startFtpSrv, tempDir } from "./servers.js";

sourceContract(
  "local folder",
  async () => {
    const root = await tempDir();
    return {
      source: await openSource(localSourceConfig(root)),
      diskRoot: root,
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
  { bigFile: FULL || "only in full mode" },
);

for (const mode of ["plain", "explicit", "implicit"] as const) {
  sourceContract(
    `ftp-srv ${mode}`,
    async () => {
      const root = await tempDir();
      const server = await startFtpSrv(mode, root);
      return {
        source: await openSource(ftpSrvConfig(server), { timeoutMs: 10_000 }),
        diskRoot: root,
        cleanup: async () => {
          await server.close();
          await rm(root, { recursive: true, force: true });
        },
      };
    },
    // The server runs in this process, so its memory would count too.
    { bigFile: "ftp-srv runs in the test process; the 200 MB check runs against vsftpd" },
  );
}
