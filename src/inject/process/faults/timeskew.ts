/** timeskew: restarts a supervised service with its wall clock shifted (libfaketime FAKETIME="+2h"); reverted by a restart without. */
import { FaultlineError } from '../../../core/errors.js';
import { FAKETIME_OFFSET, restartUnderFaketime, restartWithoutFaketime } from './faketime.js';
import { onlyKnown, stringParam } from './params.js';
import { defineFault } from './types.js';

export const timeskew = defineFault({
  kind: 'timeskew',
  summary: 'restart the service with its clock shifted by an offset (libfaketime)',
  target: 'service',
  validate(params) {
    onlyKnown('timeskew', params, ['offset']);
    const offset = stringParam('timeskew', params, 'offset');
    if (!FAKETIME_OFFSET.test(offset)) {
      throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `timeskew: param "offset" must be a signed offset such as +2h, -30m, +90s, -1d (units s, m, h, d, y; none = seconds), got ${JSON.stringify(offset)}`);
    }
    return { offset };
  },
  planAhead: (ctx, t) => restartWithoutFaketime('timeskew', ctx, t),
  apply: (ctx, t, p) => restartUnderFaketime('timeskew', ctx, t, p.offset),
});
