/**
 * Loaded into every test process (scripts/test.sh passes it with --import).
 * fast-check 4 keeps a failing property's own error only as the report's
 * `cause`, which node:test does not print: a CI failure then shows the
 * counterexample without saying what went wrong. Put the error in the report.
 */
import fc from "fast-check";

fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });
