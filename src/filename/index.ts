export { escapeControls, firstControl, showControl } from "./control.js";
export { formatDdmmyy, isIsoDate, isIsoLocalDateTime } from "./datetime.js";
export { describeMailing } from "./describe.js";
export { type BuildResult, buildName, defaultDescription, format } from "./format.js";
export { FILE_NAME_MAX_BYTES, fitName, MAX_NAME_BYTES, movedBaseName } from "./length.js";
export { importOnlyMailing } from "./mailing.js";
export { parse } from "./parse.js";
export { mailingSchema } from "./schema.js";
export * from "./types.js";
