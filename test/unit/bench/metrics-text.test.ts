import { metricByLabel, metricValue } from '../../support/metrics-text.ts';
import { decimalSerial } from '../../../test/bench/apig.ts';

const exposition = `# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.
# TYPE nodejs_heap_size_used_bytes gauge
nodejs_heap_size_used_bytes 41234567
# TYPE apig_cert_operator_reconcile_total counter
apig_cert_operator_reconcile_total{result="synced"} 12
apig_cert_operator_reconcile_total{result="unchanged"} 988
apig_cert_operator_reconcile_total_extra{result="synced"} 5
apig_cert_operator_reconcile_duration_seconds_bucket{le="0.01",result="synced"} 3
`;

describe('reading /metrics text', () => {
  it('takes a plain sample value', () => {
    expect(metricValue(exposition, 'nodejs_heap_size_used_bytes')).toBe(41234567);
    expect(metricValue(exposition, 'nodejs_missing')).toBeUndefined();
  });

  it.each([
    [{ result: 'unchanged' }, 988],
    [{ le: '0.01', result: 'synced' }, undefined],
    [{ result: 'failed' }, undefined],
  ])('takes the first series of a metric carrying the labels %j', (labels, value) => {
    expect(metricValue(exposition, 'apig_cert_operator_reconcile_total', labels)).toBe(value);
  });

  it('sums the series of one metric by a label, ignoring metrics that only share the prefix', () => {
    expect(metricByLabel(exposition, 'apig_cert_operator_reconcile_total', 'result')).toEqual(
      new Map([
        ['synced', 12],
        ['unchanged', 988],
      ]),
    );
  });

  it('finds the label wherever it stands among others', () => {
    expect(
      metricByLabel(exposition, 'apig_cert_operator_reconcile_duration_seconds_bucket', 'result'),
    ).toEqual(new Map([['synced', 3]]));
  });
});

describe('decimalSerial', () => {
  it.each([
    ['01', '1'],
    ['32d2', '13010'],
    ['7fffffffffffffffffff', '604462909807314587353087'],
  ])('0x%s is %s, as APIG shows serials', (hex, decimal) => {
    expect(decimalSerial(hex)).toBe(decimal);
  });
});
