// expect-error TS2769: a tspdk/metrics handle takes only the labels its definition names.
import { metrics } from '../../../server/metrics/index.ts';

const refused = metrics.counter({ name: 'my_plugin_refused_total', help: 'Refused requests', labelNames: ['reason'] });

export function wrong(): void {
  refused.inc({ raeson: 'no key' });
}
