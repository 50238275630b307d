import { FtpSource } from "./ftp.js";
import { LocalSource } from "./local.js";
import { SftpSource } from "./sftp.js";
import type { OpenSourceOptions, Source, SourceConfig, WatchableSource } from "./types.js";

/**
 * Opens a source. Nothing touches the network here: the connection is made by
 * the first operation, reused by the next ones and closed after `idleMs`.
 */
export async function openSource(
  config: SourceConfig,
  options: OpenSourceOptions = {},
): Promise<Source> {
  switch (config.protocol) {
    case "local":
      return new LocalSource(config, options);
    case "ftp":
    case "ftps-explicit":
    case "ftps-implicit":
      return new FtpSource({ ...config, protocol: config.protocol }, options);
    case "sftp":
      return new SftpSource(config, options);
  }
}

/** True for sources that report changes themselves (local folders). */
export function isWatchable(source: Source): source is WatchableSource {
  return typeof (source as Partial<WatchableSource>).watch === "function";
}
