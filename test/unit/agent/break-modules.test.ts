import { describe, expect, it } from 'vitest';
import { breakPatternProblem, compileBreakMatcher, injectedLoadFailure, parseBreakModules } from '../../../src/inject/agent/break-modules.js';
import { readAgentEnv } from '../../../src/inject/agent/env.js';

describe('FAULTLINE_AGENT_BREAK_MODULES parsing', () => {
  it('reads comma-separated module patterns into breakModules', () => {
    expect(readAgentEnv({ FAULTLINE_AGENT_BREAK_MODULES: ' lib/report.js, src/**/pdf-*.js ,' }, '/srv').env.breakModules).toEqual(['lib/report.js', 'src/**/pdf-*.js']);
    expect(readAgentEnv({}, '/srv').env.breakModules).toBeUndefined();
    expect(readAgentEnv({ FAULTLINE_AGENT_BREAK_MODULES: ' , ' }, '/srv')).toMatchObject({ problems: [] });
  });

  it('a value with a pattern matching every module is ignored as a whole, with a problem naming it', () => {
    for (const p of ['*', '**', '**/*', '/**']) expect(breakPatternProblem(p), p).toMatch(/matches every module/);
    const r = readAgentEnv({ FAULTLINE_AGENT_BREAK_MODULES: 'lib/a.js,**/*' }, '/srv');
    expect(r.env.breakModules).toBeUndefined();
    expect(r.problems).toEqual([expect.stringContaining('FAULTLINE_AGENT_BREAK_MODULES: "**/*" matches every module')]);
    expect(parseBreakModules('file://remote-host/x.js').problems[0]).toMatch(/is not a module pattern/);
  });

  it('matches like FAULTLINE_AGENT_INCLUDE, never faultline’s own files', () => {
    const broken = compileBreakMatcher(['pricing-client', 'src/*.mjs'], ['/opt/faultline/dist/']);
    expect(broken('/app/dist/pricing-client.js')).toBe(true);
    expect(broken('/app/src/a.mjs')).toBe(true);
    expect(broken('/app/src/deep/a.mjs')).toBe(false);
    expect(broken('/opt/faultline/dist/src/x.mjs')).toBe(false);
    expect(compileBreakMatcher([], [])('/app/x.js')).toBe(false);
  });

  it('the injected error is a SyntaxError naming the module, with a stack at the module', () => {
    const e = injectedLoadFailure('/app/lib/report.js');
    expect(e).toBeInstanceOf(SyntaxError);
    expect(e.message).toBe('faultline: injected load failure of /app/lib/report.js');
    expect(e.stack).toBe('SyntaxError: faultline: injected load failure of /app/lib/report.js\n    at /app/lib/report.js:1:1');
  });
});
