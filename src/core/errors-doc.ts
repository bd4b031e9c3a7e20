import { ERROR_CODES } from './error-codes.js';

/** docs/errors.md, generated from the registry (a test checks the committed file matches). */
export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, e]) => `| \`${code}\` | ${e.exit} | ${e.http} | ${e.message} | ${e.hint} |`);
  return `# Error codes

Generated from \`src/core/error-codes.ts\` by \`node scripts/gen-errors-doc.mjs\`; do not edit by hand.
Every error faultline raises on purpose carries one of these codes. The CLI exits with the code's exit status and
prints the hint; \`--json\` prints \`{"error": {"code", "message", "statusCode", "context"}}\`. faultline's own HTTP
routes answer \`{code, message, statusCode}\` with the HTTP status below; the Toxiproxy-compatible routes answer
\`{error, status}\` as Toxiproxy does.

| code | exit | HTTP | meaning | what to do |
|---|---|---|---|---|
${rows.join('\n')}
`;
}
