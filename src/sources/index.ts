/** The one place that talks to file servers. Import from here. */
export {
  type CandidateFile,
  DISCARDED_FOLDER,
  isCandidateName,
  isOutcomeFolder,
  isScannedFolder,
  listCandidates,
  READ_FOLDER,
  TEMPORARY_UPLOAD_SUFFIXES,
} from "./candidates.js";
export { SourceError, type SourceErrorCode, UntrustedServerError } from "./errors.js";
export { isValidFingerprint } from "./fingerprint.js";
export { DEFAULT_PORTS } from "./ftp.js";
export {
  checkHostSyntax,
  isForbiddenAddress,
  type Resolver,
  resolveHost,
  systemResolver,
} from "./host-guard.js";
export { isWatchable, openSource } from "./open.js";
export {
  type ConnectionTestCode,
  type ConnectionTestResult,
  testConnection,
} from "./test-connection.js";
export type * from "./types.js";
