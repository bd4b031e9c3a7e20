/** clockdrift: restarts a supervised service with its wall clock running at a rate (libfaketime FAKETIME="+0 x1.5"); reverted by a restart without. */
import { FaultlineError } from '../../../core/errors.js';
import { FAKETIME_OFFSET, restartUnderFaketime, restartWithoutFaketime } from './faketime.js';
import { numberParam, onlyKnown, stringParam } from './params.js';
import { defineFault } from './types.js';

export const clockdrift = defineFault({
  kind: 'clockdrift',
  summary: 'restart the service with its clock running faster or slower (libfaketime rate)',
  target: 'service',
  validate(params) {
    onlyKnown('clockdrift', params, ['rate', 'offset']);
    const rate = numberParam('clockdrift', params, 'rate', { min: 0.01, max: 1000 });
    const offset = stringParam('clockdrift', params, 'offset', '+0');
    if (!FAKETIME_OFFSET.test(offset)) {
      throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `clockdrift: param "offset" must be a signed offset such as +0, +2h, -30m, got ${JSON.stringify(offset)}`);
    }
    return { rate, offset };
  },
  planAhead: (ctx, t) => restartWithoutFaketime('clockdrift', ctx, t),
  apply: (ctx, t, p) => restartUnderFaketime('clockdrift', ctx, t, `${p.offset} x${p.rate}`),
});
