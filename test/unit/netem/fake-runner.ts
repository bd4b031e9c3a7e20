import type { CommandResult, CommandRunner } from '../../../src/inject/netem/exec.js';

export interface Call {
  cmd: string;
  args: string[];
  input?: string;
}

/** A CommandRunner that records every call and answers from `respond` (default: success, empty output). */
export function fakeRunner(respond: (c: Call) => Partial<CommandResult> | undefined = () => undefined): CommandRunner & { calls: Call[]; lines: () => string[] } {
  const calls: Call[] = [];
  return {
    calls,
    lines: () => calls.map((c) => [c.cmd, ...c.args].join(' ')),
    run: async (cmd, args, options = {}) => {
      const call: Call = { cmd, args: [...args], ...(options.input === undefined ? {} : { input: options.input }) };
      calls.push(call);
      return { code: 0, stdout: '', stderr: '', ...(respond(call) ?? {}) };
    },
  };
}
