export { formatDdmmyy, isIsoDate, isIsoLocalDateTime } from "./datetime.js";
export { describeMailing } from "./describe.js";
export { type BuildResult, buildName, defaultDescription, format } from "./format.js";
export { importOnlyMailing } from "./mailing.js";
export { parse } from "./parse.js";
export { mailingSchema } from "./schema.js";
export * from "./types.js";
