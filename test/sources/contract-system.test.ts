/**
 * The contract against Debian's vsftpd (explicit and implicit TLS, with
 * require_ssl_reuse=YES: every data connection must resume the control
 * connection's TLS session, or vsftpd refuses it) and OpenSSH's SFTP, started
 * by scripts/test-servers.sh. Full mode only.
 */
import { rm } from "node:fs/promises";
import { openSource } from "../../src/sources/open.js";
import { FULL } from "../helpers/env.js";
import { sourceContract } from "./contract.js";
import { systemConfig, systemServers, userFolder } from "./servers.js";

const skip = FULL ? undefined : "precisa de vsftpd e OpenSSH: defina REMESSA_TEST_FULL=1";

for (const protocol of ["ftps-explicit", "ftps-implicit", "sftp"] as const) {
  for (const download of protocol === "sftp"
    ? (["parallel", "stream"] as const)
    : ([undefined] as const)) {
    const name = `${protocol === "sftp" ? "OpenSSH" : "vsftpd"} ${protocol}${download ? ` (${download} download)` : ""}`;
    sourceContract(
      name,
      async () => {
        const servers = await systemServers();
        const root = await userFolder(servers);
        return {
          source: await openSource(systemConfig(servers, protocol, { root }), {
            timeoutMs: 15_000,
            ...(download ? { sftpDownload: download } : {}),
          }),
          diskRoot: root,
          cleanup: () => rm(root, { recursive: true, force: true }),
        };
      },
      {
        bigFile: download === "stream" ? "the parallel SFTP run covers 200 MB" : true,
        skip: skip ?? false,
      },
    );
  }
}
