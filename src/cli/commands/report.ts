import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import { readRunReport, recommend, renderReport, renderText, type ReportFormat } from '../../report/index.js';
import type { RegisterCommands } from '../context.js';

const FORMATS: readonly ReportFormat[] = ['text', 'json', 'html', 'junit'];

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('report')
    .description('render a saved run report (report.json) as a terminal summary, JSON, self-contained HTML or JUnit XML (exit 2 when the file is not a run report)')
    .argument('<report.json>', 'the report a run wrote (e.g. .faultline/runs/<id>/report.json)')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')}`, 'text')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .option('--recommend', "recompute the recommendations from the report's faults, figures and evidence (replaces the saved ones)")
    .option('--color', 'colour the text summary (default: on a terminal unless NO_COLOR is set)')
    .option('--no-color', 'never colour the text summary')
    .action((file: string, o: { format: string; out?: string; recommend?: boolean; color?: boolean }) => {
      const c = ctx();
      if (!(FORMATS as readonly string[]).includes(o.format)) {
        throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--format: "${o.format}" is not a report format; use one of ${FORMATS.join(', ')}`, { context: { attribute: 'format' } });
      }
      const format = o.format as ReportFormat;
      const saved = readRunReport(file);
      const report = o.recommend ? { ...saved, recommendations: recommend(saved) } : saved;
      const color = o.color ?? (o.out === undefined && process.stdout.isTTY === true && process.env.NO_COLOR === undefined);
      const body = format === 'text' ? renderText(report, { color }) : renderReport(report, format);
      if (o.out !== undefined) {
        const out = resolve(o.out);
        try {
          writeFileSync(out, body);
        } catch (e) {
          throw new FaultlineError('FL_ERR_REPORT_WRITE', `--out: cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a writable path`, { cause: e, context: { file: out } });
        }
        c.print({ format, out, report: report.id, status: report.status, deviated: report.deviated }, `wrote ${out} (${format})`);
        return;
      }
      if (c.json && format === 'text') c.print(report, '');
      else process.stdout.write(body);
    });
};
